// What a publisher says of itself every few seconds (docs/presence.md): JSON text inside an `announce` control frame.
// Read from anyone on the network, so every field is checked and bounded before the directory keeps it.

/** One topic a publisher sends, with its rate over the last 10 s. */
export interface AnnouncedTopic {
  topic: string;
  /** Messages per second. */
  rate: number;
  /** Payload bytes per second. */
  bytesPerSecond: number;
}

/** Who a publisher is and what it publishes. */
export interface Announcement {
  /** The host's name. */
  host: string;
  /** Which Node-RED on that host (several may share one), e.g. `Node-RED :1880`. */
  instance: string;
  /** The name of the bus config node, when it has one. */
  bus: string;
  /** How often it announces, in ms: it counts as gone after three periods of silence. */
  periodMs: number;
  topics: AnnouncedTopic[];
  /** Topics it publishes that did not fit into one datagram. */
  more: number;
}

export const MIN_PERIOD_MS = 1000;
export const MAX_PERIOD_MS = 60_000;
const MAX_NAME = 64;
export const MAX_ANNOUNCED_TOPICS = 64;
// An announcement fits one datagram of the smallest datagram size a bus allows, with room for the frame and a seal.
export const MAX_ANNOUNCEMENT_BYTES = 1000;

/** The announcement as JSON text, with as many topics as fit in MAX_ANNOUNCEMENT_BYTES (the rest counted in `more`). */
export function encodeAnnouncement(announcement: Omit<Announcement, 'more'>): string {
  const round = (n: number) => Math.round(n * 100) / 100;
  const base = {
    v: 1,
    host: announcement.host.slice(0, MAX_NAME),
    instance: announcement.instance.slice(0, MAX_NAME),
    bus: announcement.bus.slice(0, MAX_NAME),
    period: announcement.periodMs,
  };
  const topics = announcement.topics.slice(0, MAX_ANNOUNCED_TOPICS).map((t) => [t.topic, round(t.rate), round(t.bytesPerSecond)]);
  let text = '';
  for (let n = topics.length; n >= 0; n--) {
    text = JSON.stringify({ ...base, topics: topics.slice(0, n), more: announcement.topics.length - n });
    if (Buffer.byteLength(text) <= MAX_ANNOUNCEMENT_BYTES) break;
  }
  return text;
}

const name = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= MAX_NAME ? value : undefined);
const amount = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined);

/** An announcement read from JSON text, or undefined when any field is missing, of the wrong kind or out of bounds. */
export function decodeAnnouncement(text: string): Announcement | undefined {
  if (text.length > MAX_ANNOUNCEMENT_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as Record<string, unknown>;
  const host = name(fields.host);
  const instance = name(fields.instance);
  const bus = name(fields.bus ?? '');
  const periodMs = amount(fields.period);
  const more = amount(fields.more ?? 0);
  if (fields.v !== 1 || host === undefined || instance === undefined || bus === undefined || more === undefined) return undefined;
  if (periodMs === undefined || periodMs < MIN_PERIOD_MS || periodMs > MAX_PERIOD_MS) return undefined;
  if (!Array.isArray(fields.topics) || fields.topics.length > MAX_ANNOUNCED_TOPICS) return undefined;
  const topics: AnnouncedTopic[] = [];
  for (const entry of fields.topics) {
    if (!Array.isArray(entry) || entry.length !== 3) return undefined;
    const [topic, rate, bytesPerSecond] = [entry[0], amount(entry[1]), amount(entry[2])];
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > 63 || rate === undefined || bytesPerSecond === undefined) return undefined;
    topics.push({ topic, rate, bytesPerSecond });
  }
  return { host, instance, bus, periodMs, topics, more: Math.trunc(more) };
}
