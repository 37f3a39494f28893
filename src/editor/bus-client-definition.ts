import { topicFilterProblem } from '../core/topic-filter';
import { showFieldMessages } from './field-messages';
import { beginEditing, isEditing, lcmTopicProblem } from './field-validation';

/** The dialog of an in/out node: its validators read the bus picked there, every other node its saved bus. */
const DIALOG = '#multicast-bus-client-fields';

/** What multicast-in and multicast-out share in the editor: palette look, label, and messages under wrong fields. */
export function busClientDefinition(paletteLabel: string, icon: string) {
  return {
    category: 'network',
    color: '#C7D8D8',
    icon,
    paletteLabel,
    label: function (this: { name?: string; topic?: string }) {
      return this.name || this.topic || paletteLabel;
    },
    labelStyle: function (this: { name?: string }) {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare: function (this: unknown) {
      beginEditing(this, DIALOG);
      showFieldMessages(this, 'node-input', DIALOG);
    },
  };
}

/** The framing of the bus a client uses: the one picked in its open dialog, else its saved bus; lcm when unknown. */
export function framingOfBus(node: unknown): string {
  const busId = isEditing(node, DIALOG) ? String($('#node-input-bus').val() ?? '') : String((node as { bus?: string }).bus ?? '');
  const bus = RED.nodes.node(busId) as { framing?: string } | null;
  return bus?.framing ?? 'lcm';
}

/** A multicast in's topic on an LCM bus is a filter: the catalog key of what is wrong with it, or undefined. */
export function filterProblem(topic: string, node: unknown): string | undefined {
  if (framingOfBus(node) !== 'lcm') return undefined;
  const problem = topicFilterProblem(topic);
  return problem ? `multicast-in.validation.filter-${problem}` : undefined;
}

/** A multicast out's topic on an LCM bus goes on the wire: the catalog key of what is wrong with it, or undefined. */
export function sentTopicProblem(topic: string, node: unknown): string | undefined {
  if (framingOfBus(node) !== 'lcm') return undefined;
  const problem = lcmTopicProblem(topic);
  return problem ? `multicast-out.validation.${problem}` : undefined;
}

/**
 * A multicast out's Delivery: reliable (and Retain, which implies it) needs LCM framing, since repairs and retained
 * values name messages by their LCM sequence numbers. The catalog key of what is wrong, or undefined.
 */
export function deliveryProblem(delivery: string, node: unknown): string | undefined {
  const retain = isEditing(node, DIALOG) ? $('#node-input-retain').prop('checked') === true : (node as { retain?: boolean }).retain === true;
  const wanted = delivery === 'reliable' || retain;
  return wanted && framingOfBus(node) !== 'lcm' ? 'multicast-out.validation.reliable-needs-lcm' : undefined;
}
