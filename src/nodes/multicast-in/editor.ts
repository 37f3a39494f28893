import { BUS_CLIENT_DEFAULTS, busClientDefinition } from '../../editor/bus-client-definition';

interface InProperties {
  name: string;
  bus: string;
  topic: string;
  datatype: string;
}

RED.nodes.registerType<InProperties>('multicast-in', {
  ...busClientDefinition('multicast in'),
  defaults: { ...BUS_CLIENT_DEFAULTS, datatype: { value: 'auto', required: true } },
  inputs: 0,
  outputs: 1,
});
