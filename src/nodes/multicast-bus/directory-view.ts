// The bus sidebar's content: per deployed bus a table of the senders it hears and their topics, redrawn from each
// directory snapshot. Rows are kept by key and only their text changes, so a click or a hover is not lost to a
// redraw that comes every second.
import type { DirectorySnapshot } from './directory-feed';
import type { SenderListing, TopicListing } from '../../core/sender-directory';
import { CATALOG } from '../../editor/field-validation';
import { byteAmount, count, elapsed, shortNumber } from '../../editor/readable-numbers';

/** A topic of one sender on one bus: what POST multicast-bus/<bus>/watch asks for. */
export interface TopicOfSender {
  bus: string;
  sender: string;
  topic: string;
}

/** One key per topic of a sender on a bus, for the topics shown open. */
const keyOf = ({ bus, sender, topic }: TopicOfSender) => JSON.stringify([bus, sender, topic]);

const say = (key: string, params?: Record<string, string | number>) => RED._(`${CATALOG}:multicast-bus.sidebar.${key}`, params);
const COLUMNS = ['topic', 'rate', 'bandwidth', 'lost', 'lastSeen'] as const;

/** "3 s ago", "now": how long before the snapshot was taken (the runtime's clock on both sides, so no skew). */
function ago(at: string, then: string): string {
  const { unit, n } = elapsed(Date.parse(at) - Date.parse(then));
  return say(`ago.${unit}`, { n });
}

function perSecond(bytes: number): string {
  return say('bandwidth', byteAmount(bytes));
}

/**
 * The children of `parent` matching `selector`, one per key in this order: an existing one (by its data-key) is kept,
 * a missing one made by `make`, the others removed. Elements move only when the order changed.
 */
function keyedChildren(parent: JQuery, selector: string, keys: string[], make: () => JQuery): JQuery[] {
  const existing = new Map<string, HTMLElement>();
  parent.children(selector).each(function () {
    const key = $(this).attr('data-key') ?? '';
    if (keys.includes(key)) existing.set(key, this);
    else $(this).remove();
  });
  const elements = keys.map((key) => existing.get(key) ?? make().attr('data-key', key)[0]);
  const now = parent.children(selector).toArray();
  if (elements.length !== now.length || elements.some((element, i) => element !== now[i])) parent.append(elements);
  return elements.map((element) => $(element));
}

/** The child of `parent` with these classes, made (appended) the first time. */
function part(parent: JQuery, classes: string): JQuery {
  const found = parent.children(`.${classes.split(' ').join('.')}`);
  return found.length > 0 ? found.first() : $('<div>').addClass(classes).appendTo(parent);
}

/** How a sender is named: what it announced (host / instance), else where it sends from. */
function senderName(sender: SenderListing): string {
  if (!sender.host) return `${sender.address}:${sender.port}`;
  return sender.instance ? `${sender.host} / ${sender.instance}` : sender.host;
}

/** The sidebar's content, redrawn by show(); `onOpen` is called when the user asks to see a topic's payload. */
export class DirectoryView {
  readonly element = $('<div>').addClass('multicast-bus-directory');
  // Topics whose last payload is shown, by key; the caller renews their watch while the tab shows.
  private readonly open = new Map<string, TopicOfSender>();
  private latest: DirectorySnapshot | undefined;

  constructor(private readonly onOpen: (topic: TopicOfSender) => void) {
    this.element.on('click', 'tr.multicast-bus-dir-topic', (event) => {
      const row = $(event.currentTarget);
      const topic = { bus: String(row.attr('data-bus')), sender: String(row.attr('data-sender')), topic: String(row.attr('data-topic')) };
      const key = keyOf(topic);
      if (this.open.delete(key)) {
        this.redraw();
        return;
      }
      this.open.set(key, topic);
      this.onOpen(topic);
      this.redraw();
    });
  }

  /** The topics whose payload the user asked to see. */
  opened(): TopicOfSender[] {
    return [...this.open.values()];
  }

  /** Draws a snapshot of every deployed bus; a topic no longer listed is no longer open. */
  show(snapshot: DirectorySnapshot): void {
    this.latest = snapshot;
    const listed = new Set<string>();
    for (const bus of snapshot.buses) {
      for (const sender of bus.directory?.senders ?? []) {
        for (const { topic } of sender.topics) listed.add(keyOf({ bus: bus.id, sender: sender.id, topic }));
      }
    }
    for (const key of this.open.keys()) if (!listed.has(key)) this.open.delete(key);
    this.redraw();
  }

  /** Says that the runtime could not be asked, above what was shown last (until the next snapshot). */
  failed(text: string): void {
    part(this.element, 'multicast-bus-dir-failed').addClass('multicast-bus-dir-problem').text(text).prependTo(this.element);
  }

  private redraw(): void {
    const snapshot = this.latest;
    if (!snapshot) return;
    this.element.children('.multicast-bus-dir-failed').remove();
    part(this.element, 'multicast-bus-dir-empty multicast-bus-dir-muted')
      .text(say('noBus'))
      .toggle(snapshot.buses.length === 0);
    const sections = keyedChildren(
      part(this.element, 'multicast-bus-dir-buses'),
      'section',
      snapshot.buses.map((bus) => bus.id),
      () => $('<section>'),
    );
    snapshot.buses.forEach((bus, i) => this.drawBus(sections[i], bus, snapshot.at));
  }

  private drawBus(section: JQuery, bus: DirectorySnapshot['buses'][number], at: string): void {
    const directory = bus.directory;
    const detail = [bus.name ? bus.label : '', directory?.framing ?? ''].filter(Boolean).join(' · ');
    part(section, 'multicast-bus-dir-title')
      .empty()
      .append($('<i>').addClass('fa fa-sitemap'), ' ', $('<b>').text(bus.name || bus.label), ' ')
      .append($('<span>').addClass('multicast-bus-dir-muted').text(detail));

    const notes: [string, string][] = [];
    if (bus.problems) notes.push(['problem', bus.problems]);
    if (directory && directory.senders.length === 0) notes.push(['muted', say('nothingHeard')]);
    if (directory && directory.evicted > 0)
      notes.push(['muted', say('evicted', { count: count(directory.evicted), max: count(directory.maxSenders) })]);
    const container = part(section, 'multicast-bus-dir-notes');
    container.empty();
    for (const [kind, text] of notes) $('<div>').addClass(`multicast-bus-dir-${kind}`).text(text).appendTo(container);

    // Announced senders by name, passive ones after them by address: a row does not move as traffic changes.
    const senders = [...(directory?.senders ?? [])].sort(
      (a, b) => Number(!a.announced) - Number(!b.announced) || senderName(a).localeCompare(senderName(b)),
    );
    const blocks = keyedChildren(
      part(section, 'multicast-bus-dir-senders'),
      '.multicast-bus-dir-sender',
      senders.map((sender) => sender.id),
      () => $('<div>').addClass('multicast-bus-dir-sender'),
    );
    senders.forEach((sender, i) => this.drawSender(blocks[i], bus.id, sender, at));
  }

  private drawSender(block: JQuery, bus: string, sender: SenderListing, at: string): void {
    if (block.children().length === 0) {
      $('<div>').addClass('multicast-bus-dir-sender-name').appendTo(block);
      $('<div>').addClass('multicast-bus-dir-sender-totals multicast-bus-dir-muted').appendTo(block);
      const table = $('<table>').addClass('multicast-bus-dir-topics').appendTo(block);
      const head = $('<tr>').appendTo($('<thead>').appendTo(table));
      for (const column of COLUMNS)
        $('<th>')
          .text(say(`column.${column}`))
          .attr('title', say(`columnTitle.${column}`))
          .appendTo(head);
      $('<div>').addClass('multicast-bus-dir-other multicast-bus-dir-muted').appendTo(block);
    }
    const state = sender.online === null ? 'passive' : sender.online ? 'online' : 'offline';
    block
      .children('.multicast-bus-dir-sender-name')
      .empty()
      .append(
        $('<span>')
          .addClass(`multicast-bus-dir-badge multicast-bus-dir-${state}`)
          .text(say(state))
          .attr('title', say(`${state}Title`)),
      )
      .append(' ')
      .append($('<b>').text(senderName(sender)))
      .attr('title', sender.bus ? say('announcedBus', { bus: sender.bus }) : '');
    block.children('.multicast-bus-dir-sender-totals').text(
      say('senderTotals', {
        address: `${sender.address}:${sender.port}`,
        messages: count(sender.messages),
        lost: count(sender.lost),
        ago: ago(at, sender.lastSeen),
      }),
    );
    block
      .children('.multicast-bus-dir-other')
      .text(sender.otherTopics > 0 ? say('otherTopics', { count: count(sender.otherTopics) }) : '')
      .toggle(sender.otherTopics > 0);

    const topics = [...sender.topics].sort((a, b) => a.topic.localeCompare(b.topic));
    const bodies = keyedChildren(
      block.children('table'),
      'tbody',
      topics.map((topic) => topic.topic),
      () => $('<tbody>'),
    );
    topics.forEach((topic, i) => this.drawTopic(bodies[i], { bus, sender: sender.id, topic: topic.topic }, topic, at));
  }

  private drawTopic(body: JQuery, which: TopicOfSender, topic: TopicListing, at: string): void {
    if (body.children().length === 0) {
      const row = $('<tr>')
        .addClass('multicast-bus-dir-topic')
        .attr({ 'data-bus': which.bus, 'data-sender': which.sender, 'data-topic': which.topic, title: say('showPayload') })
        .appendTo(body);
      $('<td>').append($('<i>').addClass('fa fa-caret-right')).append(' ').append($('<span>').text(which.topic)).appendTo(row);
      for (let i = 1; i < COLUMNS.length; i++) $('<td>').appendTo(row);
    }
    const cells = body.children('tr.multicast-bus-dir-topic').children('td');
    const isOpen = this.open.has(keyOf(which));
    cells
      .eq(0)
      .children('i')
      .attr('class', isOpen ? 'fa fa-caret-down' : 'fa fa-caret-right');
    cells.eq(1).text(say('rate', { value: shortNumber(topic.rate) }));
    cells.eq(2).text(perSecond(topic.bytesPerSecond));
    cells
      .eq(3)
      .text(count(topic.lost))
      .toggleClass('multicast-bus-dir-lost', topic.lost > 0);
    cells.eq(4).text(ago(at, topic.lastSeen));

    const preview = keyedChildren(body, 'tr.multicast-bus-dir-preview', isOpen ? ['preview'] : [], () =>
      $('<tr>')
        .addClass('multicast-bus-dir-preview')
        .append($('<td>').attr('colspan', COLUMNS.length).append($('<div>').addClass('multicast-bus-dir-muted'), $('<pre>'))),
    );
    if (!isOpen) return;
    const [meta, text] = [preview[0].find('div'), preview[0].find('pre')];
    const last = topic.last;
    if (!last) {
      meta.text(say('waiting'));
      text.text('').hide();
      return;
    }
    const size = byteAmount(last.size);
    const facts = [say('size', size), ago(at, last.at)];
    if (last.encoding === 'hex') facts.push(say('hex'));
    if (last.truncated) facts.push(say('truncated'));
    meta.text(facts.join(' · '));
    text.text(last.preview).show();
  }
}

/** The sidebar's look, once per page: compact for its default width (about 320 px), in the editor's theme colours. */
export const DIRECTORY_STYLE = `
.multicast-bus-directory { height: 100%; overflow-y: auto; box-sizing: border-box; padding: 8px 10px; font-size: 12px; }
.multicast-bus-directory section { margin-bottom: 14px; }
.multicast-bus-dir-title { font-size: 13px; margin-bottom: 4px; word-break: break-all; }
.multicast-bus-dir-muted { color: var(--red-ui-secondary-text-color, #777); }
.multicast-bus-dir-problem { color: var(--red-ui-text-color-error, #d00); }
.multicast-bus-dir-sender { margin: 6px 0 10px 0; padding-left: 6px; border-left: 2px solid var(--red-ui-secondary-border-color, #ddd); }
.multicast-bus-dir-sender-name { word-break: break-all; }
.multicast-bus-dir-badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-size: 10px; line-height: 15px; color: #fff; }
.multicast-bus-dir-online { background: #3a873a; }
.multicast-bus-dir-offline { background: #999; }
.multicast-bus-dir-passive { color: var(--red-ui-secondary-text-color, #777); border: 1px solid var(--red-ui-secondary-border-color, #ccc); line-height: 13px; }
.multicast-bus-dir-topics { width: 100%; border-collapse: collapse; margin-top: 3px; }
.multicast-bus-dir-topics th { font-weight: normal; text-align: right; color: var(--red-ui-secondary-text-color, #777); padding: 1px 0 1px 6px; white-space: nowrap; }
.multicast-bus-dir-topics th:first-child { text-align: left; padding-left: 0; }
.multicast-bus-dir-topics td { text-align: right; white-space: nowrap; padding: 2px 0 2px 6px; border-top: 1px solid var(--red-ui-secondary-border-color, #eee); }
.multicast-bus-dir-topics td:first-child { text-align: left; white-space: normal; word-break: break-all; padding-left: 0; }
.multicast-bus-dir-topic { cursor: pointer; }
.multicast-bus-dir-topic:hover td { background: var(--red-ui-list-item-background-hover, #f3f3f3); }
.multicast-bus-dir-lost { color: var(--red-ui-text-color-warning, #b46a00); }
.multicast-bus-dir-preview td { border-top: none; text-align: left; white-space: normal; }
.multicast-bus-dir-preview pre { margin: 2px 0 4px 0; padding: 4px; max-height: 140px; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: 11px; }
`;
