// The bus dialog's Statistics tab: the deployed bus's counters (GET multicast-bus/<id>/stats) in groups, asked for
// again every 2 s while the tab shows, and no more once it is hidden or the dialog closes.
import type { BusStats } from '../../core/multicast-bus';
import { CATALOG } from '../../editor/field-validation';
import { byteAmount, count } from '../../editor/readable-numbers';

const EVERY_MS = 2000;
const say = (key: string, params?: Record<string, string | number>) => RED._(`${CATALOG}:multicast-bus.statistics.${key}`, params);

/** Counters that are byte counts, shown as sizes. */
const BYTES = new Set(['bytes', 'bytesHeld', 'receiveBuffer', 'windowBytes']);

/** The groups, in the order shown: each picks its counters from the answer (undefined: not on this bus). */
const GROUPS: [string, (stats: BusStats) => unknown][] = [
  [
    'received',
    (s) => ({ messages: s.messages, datagrams: s.datagrams, bytes: s.bytes, receiveBuffer: s.receiveBuffer, clientErrors: s.clientErrors }),
  ],
  ['sent', (s) => ({ sent: s.sent })],
  ['sendQueue', (s) => s.sendQueue],
  ['batches', (s) => s.batches],
  ['malformed', (s) => s.malformed],
  ['reassembly', (s) => s.reassembly],
  ['sequence', (s) => (s.sequence ? { ...s.sequence, senders: s.senders } : undefined)],
  ['sealed', (s) => s.sealed],
  ['reliable', (s) => s.reliable],
  ['presence', (s) => s.presence],
];

/** A counter's name from the catalog; a key that is not a name (a sender's address, say) is shown as it is. */
function counterName(key: string): string {
  if (!/^[A-Za-z][\w-]*$/.test(key)) return key;
  const path = `multicast-bus.statistics.counter.${key}`;
  const text = RED._(`${CATALOG}:${path}`);
  return text === path || text.endsWith(`:${path}`) ? key : text;
}

function value(key: string, raw: unknown): string {
  if (raw === null || raw === undefined) return say('none');
  if (typeof raw !== 'number') return String(raw);
  if (!BYTES.has(key)) return count(raw);
  return say('size', byteAmount(raw));
}

/** Rows for one group: a number per row; a nested record (per sender, send side) under a row of its own, indented. */
function rows(table: JQuery, counters: Record<string, unknown>, depth: number): void {
  for (const [key, raw] of Object.entries(counters)) {
    const row = $('<tr>').appendTo(table);
    const name = $('<th>')
      .text(counterName(key))
      .css('padding-left', `${depth * 12}px`)
      .appendTo(row);
    if (raw !== null && typeof raw === 'object') {
      name.attr('colspan', 2).addClass('multicast-bus-stats-nested');
      rows(table, raw as Record<string, unknown>, depth + 1);
    } else {
      $('<td>').text(value(key, raw)).appendTo(row);
    }
  }
}

/** The Statistics tab of the dialog of bus `busId`, drawn into `element`. */
export class StatisticsTab {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private visible = false;
  // Each start begins a chain of requests; a stopped chain ends at its next answer.
  private chain = 0;

  constructor(
    private readonly busId: string,
    private readonly element: JQuery,
  ) {}

  /** The tab was shown (start asking) or another tab was (stop). */
  show(visible: boolean): void {
    if (visible === this.visible) return;
    if (!visible) return this.stop();
    this.visible = true;
    this.refresh(++this.chain);
  }

  /** The dialog closes: ask no more. */
  stop(): void {
    this.visible = false;
    this.chain++;
    clearTimeout(this.timer);
  }

  private refresh(chain: number): void {
    const current = () => chain === this.chain && document.body.contains(this.element[0]);
    $.ajax({ url: `multicast-bus/${encodeURIComponent(this.busId)}/stats`, dataType: 'json', cache: false })
      .done((stats: BusStats) => current() && this.draw(stats))
      .fail((xhr: { status: number; responseJSON?: { error?: string }; responseText?: string }) => {
        if (!current()) return;
        if (xhr.status === 404) this.say(say('deployFirst'));
        else if (xhr.status === 409) this.say(say('notRunning', { problems: xhr.responseJSON?.error ?? '' }), true);
        else this.say(say('failed', { error: `${xhr.status} ${xhr.responseText ?? ''}`.trim() }), true);
      })
      .always(() => {
        // Hidden, closed, or the dialog gone with its element: no further request.
        if (current()) this.timer = setTimeout(() => this.refresh(chain), EVERY_MS);
      });
  }

  private say(text: string, problem = false): void {
    this.element.empty().append(
      $('<p>')
        .addClass(problem ? 'multicast-bus-stats-problem' : 'multicast-bus-stats-note')
        .text(text),
    );
  }

  private draw(stats: BusStats): void {
    const groups = $('<div>').addClass('multicast-bus-stats-groups');
    for (const [group, pick] of GROUPS) {
      const counters = pick(stats);
      if (counters === undefined || counters === null) continue;
      const table = $('<table>').addClass('multicast-bus-stats-group').attr('data-group', group).appendTo(groups);
      $('<caption>')
        .text(say(`group.${group}`))
        .appendTo(table);
      rows(table, counters as Record<string, unknown>, 0);
    }
    const at = new Date().toLocaleTimeString();
    this.element
      .empty()
      .append(
        $('<p>')
          .addClass('multicast-bus-stats-note')
          .text(say('bus', { group: stats.group, port: stats.port, framing: stats.framing, at })),
      )
      .append(groups);
  }
}
