import type { RemoteInfo } from 'node:dgram';
import type { ControlSealing } from './control-sealing';
import type { Batching, BusMessage, Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import type { Problem } from './problem';
import { ReplayGuard } from './replay-guard';
import { BoundKey, type BusBinding, isVersion1Frame, readSealedHeader, Sealer, unseal } from './sealed-frame';
import { DerivationAllowance, SessionKeys } from './session-keys';

export interface SealedKeys {
  current: Buffer;
  /** The key before the current one, accepted while hosts change over. */
  previous?: Buffer;
}

/** The bus a sealed framing works for: its frames are bound to it, and its own frames come back only with loopback. */
export interface SealedBus extends BusBinding {
  loopback: boolean;
}

export interface SealedCounts {
  opened: number;
  /** Frames without the sealed magic (plain LCM, raw bytes) on a sealed bus. */
  plain: number;
  /** Frames of the first sealed format (MCS1), from a host running an older version: they cannot be opened. */
  oldVersion: number;
  /** Sealed with a key this bus does not have. */
  unknownKey: number;
  /** This bus's own frames, sent back to it while loopback is off: reflected by someone, or heard on a second interface. */
  ownSession: number;
  /** An unknown session whose tag does not check out: forged, or sealed for another bus (group, port, framing, family). */
  badSessionTag: number;
  /**
   * A session whose tag checks out but which has not opened a frame here, while its source (or all such sources
   * together) had used up their session key derivations: headers of past sessions replayed, or many hosts starting at once.
   */
  newSessionLimited: number;
  /** Failed authentication in a known session: a bit changed anywhere, or a forged frame naming a real session. */
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
 * be fresh, or it is counted and dropped. The checks run cheapest first: no key derivation or decryption before a
 * frame's session is known or vouched for by its tag, and derivations for sessions not yet proven are rationed, so a
 * forged frame costs at most one HMAC, or one failed decryption in a session whose key is held.
 * Warnings about dropped frames go out at most once a minute per kind. Control frames of reliable delivery are sealed
 * and opened the same way, in the same session, with the same counters (`control`).
 */
export class SealedFraming implements Framing {
  readonly counts: SealedCounts = {
    opened: 0,
    plain: 0,
    oldVersion: 0,
    unknownKey: 0,
    ownSession: 0,
    badSessionTag: 0,
    newSessionLimited: 0,
    authFailed: 0,
    replayed: 0,
    stale: 0,
  };
  private readonly sealer: Sealer;
  private readonly keysById = new Map<number, BoundKey>();
  private readonly sessionKeys = new SessionKeys();
  private readonly allowance: DerivationAllowance;
  private readonly guard: ReplayGuard;
  private readonly lastWarned = new Map<Rejection, { at: number; count: number }>();
  private readonly loopback: boolean;
  /** Control frames sealed whole (a repair's datagram inside is not sealed again); NAKs opened as any frame. */
  readonly control: ControlSealing = {
    seal: (frame) => this.sealer.seal([frame]),
    open: (bytes, sender) => this.open(bytes, sender)?.inner,
  };

  readonly batching: Batching | undefined;

  /** `bus`: what the frames are bound to; framingForBus always gives it, only tests of the format leave it out. */
  constructor(
    private readonly inner: Framing,
    keys: SealedKeys,
    toleranceMs: number,
    private readonly warn: (problem: Problem) => void = () => undefined,
    private readonly now: () => number = Date.now,
    bus?: SealedBus,
  ) {
    for (const key of [keys.current, keys.previous]) {
      if (key) {
        const bound = new BoundKey(key, bus);
        this.keysById.set(bound.id, bound);
      }
    }
    // Its own BoundKey, so that sessionKeysDerived counts only what receiving cost.
    this.sealer = new Sealer(new BoundKey(keys.current, bus), now);
    this.loopback = bus?.loopback ?? true;
    this.guard = new ReplayGuard(toleranceMs, now);
    this.allowance = new DerivationAllowance(now);
    // The inner framing's batching, with one seal per datagram that goes out: a batch is sealed once, as a whole.
    const batching = inner.batching;
    this.batching = batching && {
      encodePlain: batching.encodePlain,
      pack: (messages) => this.sealAll(batching.pack(messages)),
      seal: (datagrams) => this.sealAll(datagrams),
    };
  }

  encode(topic: string, payload: Buffer, plain?: (datagrams: OutgoingDatagram[]) => void): OutgoingDatagram[] {
    return this.sealAll(this.inner.encode(topic, payload, plain));
  }

  private sealAll(datagrams: OutgoingDatagram[]): OutgoingDatagram[] {
    return datagrams.map(([header, data]) => [EMPTY, this.sealer.seal([header, data])]);
  }

  check(topic: string, payload: Buffer): void {
    this.inner.check(topic, payload);
  }

  decodeAll(bytes: Buffer, sender: RemoteInfo): BusMessage[] {
    const opened = this.open(bytes, sender);
    return opened ? this.inner.decodeAll(opened.inner, sender, opened.session) : [];
  }

  decode(bytes: Buffer, sender: RemoteInfo): BusMessage | undefined {
    const opened = this.open(bytes, sender);
    // Per-sender state (sequence numbers, reassembly, reliable streams) follows the authenticated session, not the UDP
    // source; a control frame inside goes from the inner framing to reliable delivery with it.
    return opened && this.inner.decode(opened.inner, sender, opened.session);
  }

  decodeAside(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage | undefined {
    return this.inner.decodeAside?.(bytes, sender, origin);
  }

  repaired(sender: RemoteInfo, seq: number, fresh: boolean, origin?: string): void {
    this.inner.repaired?.(sender, seq, fresh, origin);
  }

  /** The datagram inside a sealed frame and its session, or undefined when it does not open or is not fresh (counted). */
  private open(bytes: Buffer, sender: RemoteInfo): { inner: Buffer; session: string } | undefined {
    const header = readSealedHeader(bytes);
    if (!header) return this.reject(isVersion1Frame(bytes) ? 'oldVersion' : 'plain');
    const bound = this.keysById.get(header.keyId);
    if (!bound) return this.reject('unknownKey');
    // Without loopback the kernel never hands this bus its own frames: one that arrives was sent back by someone, or
    // came in on a second interface; either way this bus has already had it.
    if (!this.loopback && header.session.equals(this.sealer.session)) return this.reject('ownSession');
    // The key id and the session id, as one text: what a session key is kept under; the session alone names the stream.
    const id = bytes.toString('hex', 4, 16);
    const session = id.slice(8);
    // The clock and the counters already seen need no key; only an authentic frame is recorded, below.
    const early = this.guard.peek(session, header.counter, header.sentAt);
    if (early !== 'fresh') return this.reject(early);
    let sessionKey = this.sessionKeys.get(id);
    if (!sessionKey) {
      // One HMAC decides whether a key holder made this session for this bus; only then is a key derived.
      if (!bound.vouchesFor(header)) return this.reject('badSessionTag');
      if (!this.allowance.take(sender.address)) return this.reject('newSessionLimited');
      sessionKey = bound.sessionKey(header.session);
      this.sessionKeys.vouch(id, sessionKey);
    }
    const opened = unseal(bytes, header, sessionKey);
    if (!opened) return this.reject('authFailed');
    const verdict = this.guard.check(session, header.counter, header.sentAt);
    if (verdict !== 'fresh') return this.reject(verdict);
    this.sessionKeys.prove(id, sessionKey);
    this.allowance.deliveredFrom(sender.address);
    this.counts.opened++;
    return { inner: opened, session };
  }

  tick(): void {
    this.inner.tick();
  }

  stats(): Record<string, unknown> {
    let derived = 0;
    for (const bound of this.keysById.values()) derived += bound.derivations;
    return { ...this.inner.stats(), sealed: { ...this.counts, sessionKeys: this.sessionKeys.size, sessionKeysDerived: derived } };
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
