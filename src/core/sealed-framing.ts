import type { RemoteInfo } from 'node:dgram';
import type { BusMessage, Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import type { Problem } from './problem';
import { ReplayGuard } from './replay-guard';
import { keyId, readSealedHeader, Sealer, unseal } from './sealed-frame';

export interface SealedKeys {
  current: Buffer;
  /** The key before the current one, accepted while hosts change over. */
  previous?: Buffer;
}

export interface SealedCounts {
  opened: number;
  /** Frames without the sealed magic (plain LCM, raw bytes) on a sealed bus. */
  plain: number;
  /** Sealed with a key this bus does not have. */
  unknownKey: number;
  /** Failed authentication: a wrong key, or a bit changed anywhere. */
  authFailed: number;
  replayed: number;
  /** Sent too long ago, or from the future, beyond the time window. */
  stale: number;
}

const EMPTY = Buffer.alloc(0);
const WARN_EVERY_MS = 60_000;
type Rejection = Exclude<keyof SealedCounts, 'opened'>;

/**
 * Wraps another framing: every datagram it makes is sealed, every datagram heard must open with one of the keys and
 * be fresh, or it is counted and dropped. Warnings about dropped frames go out at most once a minute per kind.
 */
export class SealedFraming implements Framing {
  readonly counts: SealedCounts = { opened: 0, plain: 0, unknownKey: 0, authFailed: 0, replayed: 0, stale: 0 };
  private readonly sealer: Sealer;
  private readonly keysById = new Map<number, { key: Buffer; sessions: Map<string, Buffer> }>();
  private readonly guard: ReplayGuard;
  private readonly lastWarned = new Map<Rejection, { at: number; count: number }>();

  constructor(
    private readonly inner: Framing,
    keys: SealedKeys,
    toleranceMs: number,
    private readonly warn: (problem: Problem) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = new Sealer(keys.current, now);
    for (const key of [keys.current, keys.previous]) {
      if (key) this.keysById.set(keyId(key), { key, sessions: new Map() });
    }
    this.guard = new ReplayGuard(toleranceMs, now);
  }

  encode(topic: string, payload: Buffer): OutgoingDatagram[] {
    return this.inner.encode(topic, payload).map(([header, data]) => [EMPTY, this.sealer.seal([header, data])]);
  }

  decode(bytes: Buffer, sender: RemoteInfo): BusMessage | undefined {
    const header = readSealedHeader(bytes);
    if (!header) return this.reject('plain');
    const entry = this.keysById.get(header.keyId);
    if (!entry) return this.reject('unknownKey');
    // Session keys are cached per session; the cache is cleared when it grows past what honest senders need.
    if (entry.sessions.size > 4096) entry.sessions.clear();
    const session = header.session.toString('hex');
    const known = entry.sessions.has(session);
    const opened = unseal(bytes, header, entry.key, entry.sessions);
    if (!opened) {
      // A forged frame must not leave a derived key behind, nor evict the key of an honest session it names.
      if (!known) entry.sessions.delete(session);
      return this.reject('authFailed');
    }
    const verdict = this.guard.check(session, header.counter, header.sentAt);
    if (verdict !== 'fresh') return this.reject(verdict);
    this.counts.opened++;
    return this.inner.decode(opened, sender);
  }

  tick(): void {
    this.inner.tick();
  }

  stats(): Record<string, unknown> {
    return { ...this.inner.stats(), sealed: { ...this.counts } };
  }

  lost(): number {
    return this.inner.lost();
  }

  dropped(): number {
    const { opened: _opened, ...rejected } = this.counts;
    return this.inner.dropped() + Object.values(rejected).reduce((sum, n) => sum + n, 0);
  }

  private reject(kind: Rejection): undefined {
    this.counts[kind]++;
    const last = this.lastWarned.get(kind) ?? { at: -Infinity, count: 0 };
    if (this.now() - last.at >= WARN_EVERY_MS) {
      this.warn({ code: `sealed-${kind}`, params: { count: this.counts[kind] - last.count } });
      this.lastWarned.set(kind, { at: this.now(), count: this.counts[kind] });
    }
    return undefined;
  }
}
