interface InProperties {
  name: string;
  bus: string;
  topic: string;
  datatype: string;
}

RED.nodes.registerType<InProperties>('multicast-in', {
  category: 'network',
  color: '#C7D8D8',
  defaults: {
    name: { value: '' },
    bus: { value: '', type: 'multicast-bus', required: true },
    topic: { value: '' },
    datatype: { value: 'auto', required: true },
  },
  inputs: 0,
  outputs: 1,
  icon: 'multicast.svg',
  paletteLabel: 'multicast in',
  label: function () {
    return this.name || this.topic || 'multicast in';
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
});
