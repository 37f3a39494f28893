import { busClientDefinition, deliveryProblem, sentTopicProblem } from '../../editor/bus-client-definition';
import { validator } from '../../editor/field-validation';

interface OutProperties {
  name: string;
  bus: string;
  topic: string;
  delivery: string;
  retain: boolean;
}

RED.nodes.registerType<OutProperties>('multicast-out', {
  ...busClientDefinition('multicast out', 'multicast-out.svg'),
  defaults: {
    name: { value: '' },
    bus: { value: '', type: 'multicast-bus', required: true },
    topic: { value: '', validate: validator('node-red-contrib-multicast-bus/multicast-out', sentTopicProblem) },
    delivery: { value: 'best-effort', validate: validator('node-red-contrib-multicast-bus/multicast-out', deliveryProblem) },
    retain: { value: false },
  },
  inputs: 1,
  outputs: 0,
  align: 'right',
});
