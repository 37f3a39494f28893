import { busClientDefinition, filterProblem } from '../../editor/bus-client-definition';
import { validator } from '../../editor/field-validation';

interface InProperties {
  name: string;
  bus: string;
  topic: string;
  datatype: string;
}

RED.nodes.registerType<InProperties>('multicast-in', {
  ...busClientDefinition('multicast in', 'multicast-in.svg'),
  defaults: {
    name: { value: '' },
    bus: { value: '', type: 'multicast-bus', required: true },
    topic: { value: '', validate: validator('node-red-contrib-multicast-bus/multicast-in', filterProblem) },
    datatype: { value: 'auto', required: true },
  },
  inputs: 0,
  outputs: 1,
});
