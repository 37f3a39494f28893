import { busClientDefinition, filterProblem } from '../../editor/bus-client-definition';
import { validator } from '../../editor/field-validation';

interface InProperties {
  name: string;
  bus: string;
  topic: string;
  datatype: string;
  dynamic: boolean;
}

const client = busClientDefinition('multicast in', 'multicast-in.svg');

RED.nodes.registerType<InProperties>('multicast-in', {
  ...client,
  defaults: {
    name: { value: '' },
    bus: { value: '', type: 'multicast-bus', required: true },
    topic: { value: '', validate: validator('node-red-contrib-multicast-bus/multicast-in', filterProblem) },
    datatype: { value: 'auto', required: true },
    dynamic: { value: false },
  },
  inputs: 0,
  outputs: 1,
  oneditprepare: function (this: unknown) {
    client.oneditprepare.call(this);
    // With subscriptions set at runtime the Topic is not used: shown disabled, so the dialog says so.
    const showTopic = () => $('#node-input-topic').prop('disabled', $('#node-input-dynamic').prop('checked') === true);
    $('#node-input-dynamic').on('change', showTopic);
    showTopic();
  },
  oneditsave: function (this: { inputs?: number }) {
    // As the core mqtt in: a node whose subscriptions are set by msg.action takes messages.
    this.inputs = $('#node-input-dynamic').prop('checked') === true ? 1 : 0;
  },
});
