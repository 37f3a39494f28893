// The bus's one table of the senders it hears (docs/presence.md): per sender its sequence state (sequence-tracker.ts
// keeps it here), what it sent per topic, and what it announced of itself. The directory route, the editor's sidebar,
// presence events and the stats' per-sender counts all read this table. Anyone can send from any address, so it is
// bounded: at most maxSenders senders (the least recently heard evicted, counted), maxTopics topics each.
import type { Announcement } from './presence-announcement';
import { RateMeter } from './rate-meter';
import type { SequenceState } from './sequence-tracker';

/** A publisher came or went: what a multicast in on `$bus/presence` outputs as msg.payload. */
export interface PresenceEvent {
  event: 'online' | 'offline';
  address: string;
  port: number;
  host: string;
  instance: string;
  bus: string;
  /** The topics it announced, and those heard from it. */
  topics: string[];
  /** Why it is offline: it said goodbye, it was silent for three announcement periods, or the table evicted it. */
  reason?: 'goodbye' | 'silent' | 'evicted';
  /** When it was last heard (ISO 8601). */
  lastSeen: string;
}

/** A topic of one sender, as the directory lists it. */
export interface TopicListing {
  topic: string;
  /** Messages per second over the last 10 s. */
  rate: number;
  bytesPerSecond: number;
  messages: number;
  bytes: number;
  /** Messages lost just before messages of this topic (a sender numbers all its topics in one sequence). */
  lost: number;
  lastSeen: string;
  /** The last payload, once asked for (watch): its first PREVIEW_BYTES bytes as UTF-8 text, or hex when not text. */
  last?: { at: string; size: number; encoding: 'utf8' | 'hex'; preview: string; truncated: boolean };
}

/** One sender, as the directory lists it. */
export interface SenderListing {
  /** How the bus keys it: "address:port", or its session on a sealed bus (what watch() takes). */
  id: string;
  address: string;
  port: number;
  /** Set when it announces itself (a multicast bus sending on LCM framing); absent for passive senders. */
  host?: string;
  instance?: string;
  bus?: string;
  announced: boolean;
  /** Announced senders: whether it is online now; passive senders: null (nothing says when they are gone). */
  online: boolean | null;
  /** What it announced it publishes, with its own rates. */
  announcedTopics?: { topic: string; rate: number; bytesPerSecond: number }[];
  firstSeen: string;
  lastSeen: string;
  messages: number;
  lost: number;
  topics: TopicListing[];
  /** Messages on topics past maxTopics, counted but not listed. */
  otherTopics: number;
}

export interface DirectoryListing {
  senders: SenderListing[];
  /** Senders evicted to keep the table within its bound. */
  evicted: number;
  maxSenders: number;
}

export interface DirectoryLimits {
  maxSenders: number;
  maxTopics: number;
  /** Topics whose last payload is kept at a time (those asked for most recently). */
  maxWatched: number;
}

const DEFAULT_LIMITS: DirectoryLimits = { maxSenders: 1024, maxTopics: 32, maxWatched: 16 };
const PREVIEW_BYTES = 1024;
// A payload is kept for a topic this long after it was last asked for.
const WATCH_MS = 60_000;
const LEASE_PERIODS = 3;

interface TopicTraffic {
  messages: number;
  bytes: number;
  lost: number;
  lastSeen: number;
  meter: RateMeter;
  byteMeter: RateMeter;
  last?: { at: number; size: number; preview: Buffer };
}

interface Presence {
  id: string;
  announcement: Announcement;
  online: boolean;
  /** Monotonic time after which it is offline unless it announces again. */
  leaseUntil: number;
}

interface SenderEntry {
  label: string;
  address: string;
  port: number;
  firstSeen: number;
  lastSeen: number;
  /** Insertions into the table when this sender last moved to its newest end. */
  stamp: number;
  sequence?: SequenceState;
  topics: Map<string, TopicTraffic>;
  otherTopics: number;
  presence?: Presence;
}

/** "address:port" (IPv6 addresses have colons of their own) → its parts. */
function splitLabel(label: string): { address: string; port: number } {
  const colon = label.lastIndexOf(':');
  return colon < 0 ? { address: label, port: 0 } : { address: label.slice(0, colon), port: Number(label.slice(colon + 1)) || 0 };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every sender heard on one bus, keyed by its stream ("address:port", or its session on a sealed bus). */
export class SenderDirectory {
  private readonly limits: DirectoryLimits;
  private readonly entries = new Map<string, SenderEntry>();
  private insertions = 0;
  private evictedCount = 0;
  // Topics whose payload is kept, oldest ask first: "stream\0topic" → until when (monotonic).
  private readonly watched = new Map<string, number>();

  constructor(
    limits: Partial<DirectoryLimits> = {},
    /** Where presence events go. */
    private readonly onPresence: (event: PresenceEvent) => void = () => undefined,
    private readonly clock: { now(): number; wall(): number } = { now: () => performance.now(), wall: () => Date.now() },
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** The sequence state kept for `stream`, if it is known; the sender counts as heard now. */
  sequence(stream: string): SequenceState | undefined {
    const entry = this.entries.get(stream);
    if (!entry) return undefined;
    this.touch(stream, entry);
    return entry.sequence;
  }

  /** Keeps the sequence state of `stream`, listed as `label` ("address:port"), adding the sender when it is new. */
  keepSequence(stream: string, label: string, state: SequenceState): void {
    this.entry(stream, label).sequence = state;
  }

  /** Every sender's sequence state, with its stream and label, for the stats and the status's loss count. */
  *sequences(): Iterable<[stream: string, label: string, state: SequenceState]> {
    for (const [stream, entry] of this.entries) if (entry.sequence) yield [stream, entry.label, entry.sequence];
  }

  /** A message from `stream` (listed as `label`) was delivered: counted for its topic ('' on raw framing). */
  heard(stream: string, label: string, topic: string, payload: Buffer, lostBefore: number): void {
    const entry = this.entry(stream, label);
    const wall = this.clock.wall();
    entry.lastSeen = wall;
    let traffic = entry.topics.get(topic);
    if (!traffic) {
      if (entry.topics.size >= this.limits.maxTopics) {
        entry.otherTopics++;
        return;
      }
      traffic = { messages: 0, bytes: 0, lost: 0, lastSeen: wall, meter: new RateMeter(), byteMeter: new RateMeter() };
      entry.topics.set(topic, traffic);
    }
    traffic.messages++;
    traffic.bytes += payload.length;
    traffic.lost += lostBefore;
    traffic.lastSeen = wall;
    traffic.meter.add();
    traffic.byteMeter.add(payload.length);
    if (this.watched.size > 0 && this.watched.has(`${stream}\0${topic}`)) {
      const preview = Buffer.from(payload.subarray(0, PREVIEW_BYTES));
      traffic.last = { at: wall, size: payload.length, preview };
    }
  }

  /** An announcement from `stream` (presence id `id`): the sender is online until three of its periods pass in silence. */
  announced(stream: string, label: string, id: string, announcement: Announcement): void {
    const entry = this.entry(stream, label);
    entry.lastSeen = this.clock.wall();
    const was = entry.presence;
    const leaseUntil = this.clock.now() + LEASE_PERIODS * announcement.periodMs;
    entry.presence = { id, announcement, online: true, leaseUntil };
    if (!was || !was.online || was.id !== id) this.onPresence(this.event(entry, 'online'));
  }

  /** A goodbye from `stream`'s presence `id`: offline now. */
  goodbye(stream: string, id: string): void {
    const entry = this.entries.get(stream);
    const presence = entry?.presence;
    if (!entry || !presence || presence.id !== id || !presence.online) return;
    entry.lastSeen = this.clock.wall();
    presence.online = false;
    this.onPresence(this.event(entry, 'offline', 'goodbye'));
  }

  /** Announced senders silent for three of their periods go offline; watches asked for long ago end. Run every second. */
  expire(): void {
    const now = this.clock.now();
    for (const entry of this.entries.values()) {
      const presence = entry.presence;
      if (presence?.online && now > presence.leaseUntil) {
        presence.online = false;
        this.onPresence(this.event(entry, 'offline', 'silent'));
      }
    }
    for (const [key, until] of this.watched) if (until < now) this.watched.delete(key);
  }

  /** Keeps the last payload of `topic` from `stream` for a minute from now (the editor asked to see it). */
  watch(stream: string, topic: string): void {
    const key = `${stream}\0${topic}`;
    this.watched.delete(key);
    if (this.watched.size >= this.limits.maxWatched) this.watched.delete(this.watched.keys().next().value as string);
    this.watched.set(key, this.clock.now() + WATCH_MS);
  }

  /** Every sender with its topics and presence, as plain JSON, sorted by address and port. */
  listing(): DirectoryListing {
    const senders: SenderListing[] = [];
    for (const [stream, entry] of this.entries) senders.push(this.listed(stream, entry));
    senders.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
    return { senders, evicted: this.evicted, maxSenders: this.limits.maxSenders };
  }

  /** Senders in the table now. */
  get size(): number {
    return this.entries.size;
  }

  /** Senders evicted so far to keep the table within maxSenders. */
  get evicted(): number {
    return this.evictedCount;
  }

  private listed(stream: string, entry: SenderEntry): SenderListing {
    const topics: TopicListing[] = [];
    let messages = 0;
    for (const [topic, traffic] of entry.topics) {
      messages += traffic.messages;
      const listing: TopicListing = {
        topic,
        rate: round(traffic.meter.rate()),
        bytesPerSecond: round(traffic.byteMeter.rate()),
        messages: traffic.messages,
        bytes: traffic.bytes,
        lost: traffic.lost,
        lastSeen: iso(traffic.lastSeen),
      };
      if (traffic.last && this.watched.has(`${stream}\0${topic}`)) listing.last = previewOf(traffic.last);
      topics.push(listing);
    }
    topics.sort((a, b) => a.topic.localeCompare(b.topic));
    const presence = entry.presence;
    const listing: SenderListing = {
      id: stream,
      address: entry.address,
      port: entry.port,
      announced: presence !== undefined,
      online: presence ? presence.online : null,
      firstSeen: iso(entry.firstSeen),
      lastSeen: iso(entry.lastSeen),
      messages: messages + entry.otherTopics,
      lost: topics.reduce((sum, t) => sum + t.lost, 0),
      topics,
      otherTopics: entry.otherTopics,
    };
    if (presence) {
      const { host, instance, bus, topics: announcedTopics } = presence.announcement;
      Object.assign(listing, { host, instance, bus, announcedTopics });
    }
    return listing;
  }

  private event(entry: SenderEntry, event: PresenceEvent['event'], reason?: PresenceEvent['reason']): PresenceEvent {
    const { host, instance, bus, topics } = entry.presence!.announcement;
    // What it announced, and what was heard from it since (a publisher that just started announced nothing yet).
    const names = new Set(topics.map((t) => t.topic));
    for (const topic of entry.topics.keys()) if (topic !== '') names.add(topic);
    const out: PresenceEvent = {
      event,
      address: entry.address,
      port: entry.port,
      host,
      instance,
      bus,
      topics: [...names],
      lastSeen: iso(entry.lastSeen),
    };
    if (reason) out.reason = reason;
    return out;
  }

  /** The entry of `stream`, added (evicting the least recently heard past maxSenders) when it is new; heard now. */
  private entry(stream: string, label: string): SenderEntry {
    const known = this.entries.get(stream);
    if (known) {
      this.touch(stream, known);
      return known;
    }
    if (this.entries.size >= this.limits.maxSenders) this.evictOldest();
    const wall = this.clock.wall();
    const entry: SenderEntry = {
      label,
      ...splitLabel(label),
      firstSeen: wall,
      lastSeen: wall,
      stamp: ++this.insertions,
      topics: new Map(),
      otherTopics: 0,
    };
    this.entries.set(stream, entry);
    return entry;
  }

  // Moving an entry to the newest end only once it is in the older half keeps the per-message path cheap and still
  // never evicts a sender heard within the last maxSenders / 2 arrivals of new ones. (Map order is insertion order.)
  private touch(stream: string, entry: SenderEntry): void {
    if (this.insertions - entry.stamp <= this.limits.maxSenders >> 1) return;
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    entry.stamp = ++this.insertions;
  }

  private evictOldest(): void {
    const [stream, entry] = this.entries.entries().next().value as [string, SenderEntry];
    this.entries.delete(stream);
    this.evictedCount++;
    if (entry.presence?.online) {
      entry.presence.online = false;
      this.onPresence(this.event(entry, 'offline', 'evicted'));
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function previewOf(last: { at: number; size: number; preview: Buffer }): NonNullable<TopicListing['last']> {
  const text = last.preview.toString('utf8');
  // Text that does not survive the round trip (not UTF-8, or cut inside a character), or holds control characters other
  // than whitespace, is shown as hex.
  const control = last.preview.some((byte) => byte < 9 || (byte > 13 && byte < 32));
  const isText = !control && Buffer.from(text, 'utf8').equals(last.preview);
  return {
    at: iso(last.at),
    size: last.size,
    encoding: isText ? 'utf8' : 'hex',
    preview: isText ? text : last.preview.toString('hex'),
    truncated: last.size > last.preview.length,
  };
}
