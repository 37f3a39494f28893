interface OutProperties {
  name: string;
  bus: string;
  topic: string;
}

RED.nodes.registerType<OutProperties>('multicast-out', {
  category: 'network',
  color: '#C7D8D8',
  defaults: {
    name: { value: '' },
    bus: { value: '', type: 'multicast-bus', required: true },
    topic: { value: '' },
  },
  inputs: 1,
  outputs: 0,
  align: 'right',
  icon: 'multicast.svg',
  paletteLabel: 'multicast out',
  label: function () {
    return this.name || this.topic || 'multicast out';
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
});
