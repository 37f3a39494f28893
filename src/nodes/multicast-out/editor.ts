import { BUS_CLIENT_DEFAULTS, busClientDefinition } from '../../editor/bus-client-definition';

interface OutProperties {
  name: string;
  bus: string;
  topic: string;
}

RED.nodes.registerType<OutProperties>('multicast-out', {
  ...busClientDefinition('multicast out'),
  defaults: BUS_CLIENT_DEFAULTS,
  inputs: 1,
  outputs: 0,
  align: 'right',
});
