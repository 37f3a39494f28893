/** What multicast-in and multicast-out share in the editor: palette look, the bus and topic fields, and the label. */
export function busClientDefinition(paletteLabel: string) {
  return {
    category: 'network',
    color: '#C7D8D8',
    icon: 'multicast.svg',
    paletteLabel,
    label: function (this: { name?: string; topic?: string }) {
      return this.name || this.topic || paletteLabel;
    },
    labelStyle: function (this: { name?: string }) {
      return this.name ? 'node_label_italic' : '';
    },
  };
}

/** The fields every bus client has: a name, the bus it uses, and a topic. */
export const BUS_CLIENT_DEFAULTS = {
  name: { value: '' },
  bus: { value: '', type: 'multicast-bus', required: true },
  topic: { value: '' },
};
