// The session keys a receiver of a sealed bus holds, and how fast it may derive more. Deriving a session key (HKDF,
// then a key object) is the most a frame can cost before it is authenticated; only a valid session tag can cause one,
// and a valid tag can be replayed by anyone from a past session, so derivations for sessions that have not yet opened
// a frame are rationed (docs/security.md, "Cost of forged frames").
import type { KeyObject } from 'node:crypto';
import { remember } from './recent-map';

/**
 * Session keys, bounded and least recently used first out. A session whose tag checked out is only vouched for until a
 * frame of it opens; vouched sessions have their own room, so frames that never open (a real session's header on a
 * forged body) can never push out the key of a session that has delivered. A vouched key is kept all the same: the tag
 * proves it is that session's right key, so a replayed header costs its derivation once, not once per frame.
 */
export class SessionKeys {
  private readonly proven = new Map<string, KeyObject>();
  private readonly vouched = new Map<string, KeyObject>();

  constructor(
    private readonly maxProven = 4096,
    private readonly maxVouched = 4096,
  ) {}

  /** The key of a session heard before, proven or only vouched for (then refreshed as the most recently used). */
  get(id: string): KeyObject | undefined {
    const proven = this.proven.get(id);
    if (proven) return proven;
    const vouched = this.vouched.get(id);
    if (vouched) remember(this.vouched, id, vouched, this.maxVouched);
    return vouched;
  }

  /** A session's tag checked out: hold its key until a frame of it opens, in the room for such sessions. */
  vouch(id: string, key: KeyObject): void {
    remember(this.vouched, id, key, this.maxVouched);
  }

  /** A frame of the session opened: keep its key among the proven, as the most recently used. */
  prove(id: string, key: KeyObject): void {
    this.vouched.delete(id);
    remember(this.proven, id, key, this.maxProven);
  }

  get size(): number {
    return this.proven.size + this.vouched.size;
  }
}

/** Holds at most `burst` tokens and gains `perSecond`. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  /** True when a token is there; `take()` spends it. */
  has(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) * this.perSecond) / 1000);
    this.at = now;
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens--;
  }
}

interface Rates {
  /** [each source, all together]. */
  burst: readonly [number, number];
  perSecond: readonly [number, number];
}

/** A bucket for each source of a kind, and one that all of them share. */
class SourceClass {
  private readonly each = new Map<string, TokenBucket>();
  private readonly all: TokenBucket;

  constructor(
    private readonly rates: Rates,
    private readonly now: () => number,
  ) {
    this.all = new TokenBucket(rates.burst[1], rates.perSecond[1], now);
  }

  has(source: string): boolean {
    return this.each.has(source);
  }

  /** True, and spends one token of the source's bucket and one of the shared bucket, when both have one. */
  take(source: string): boolean {
    const own = this.add(source);
    if (!own.has() || !this.all.has()) return false;
    own.take();
    this.all.take();
    return true;
  }

  /** The source's bucket, made full if new; the least recently used source is forgotten beyond MAX_SOURCES. */
  add(source: string): TokenBucket {
    const own = this.each.get(source) ?? new TokenBucket(this.rates.burst[0], this.rates.perSecond[0], this.now);
    remember(this.each, source, own, MAX_SOURCES);
    return own;
  }
}

const MAX_SOURCES = 1024;

/**
 * Derivations a source may cause [on its own, all such sources together]: at once, and a second. A derivation costs
 * about 8 µs, so all of them together cost at most about 1% of a core, a tenth of what reading a 30,000/s flood costs.
 * The shared rate is what an honest host new to this bus competes for when an attacker spoofs sources: at 1,000/s its
 * first frame opened within seconds under a 30,000/s replay of 5,000 sessions, at 100/s only after up to 30 s. A
 * source's own allowance is what a host redeploying its flows over and over needs: a session for each deploy.
 */
export const NEW_SOURCE = { burst: [16, 64], perSecond: [20, 1000] } as const;
/** The same for sources that have delivered a frame: a host that restarts gets its new session through at once. */
export const DELIVERED_SOURCE = { burst: [16, 64], perSecond: [20, 200] } as const;

/**
 * How many session keys may be derived for sessions that have not opened a frame here: a valid tag proves that a key
 * holder made the session, not that this frame comes from it, since anyone can replay the header of a past session.
 * Fair by UDP source: each source has a bucket of its own, so one host replaying headers cannot starve another's new
 * session; and sources that have delivered a frame draw on other buckets than sources that never did, so a flood from
 * made-up sources cannot starve a host that restarts. Each kind also shares one bucket, which bounds the whole whatever the
 * sources. The source is not authenticated: it serves fairness only, never trust.
 */
export class DerivationAllowance {
  private readonly newSources: SourceClass;
  // Changed only by frames that opened, so forged frames can neither add nor evict such a source.
  private readonly delivered: SourceClass;

  constructor(now: () => number) {
    this.newSources = new SourceClass(NEW_SOURCE, now);
    this.delivered = new SourceClass(DELIVERED_SOURCE, now);
  }

  /** True, and spends it, when a key may be derived now for a frame from `source`. */
  take(source: string): boolean {
    return (this.delivered.has(source) ? this.delivered : this.newSources).take(source);
  }

  /** A frame from `source` opened: from now on its new sessions draw on the buckets of sources that delivered. */
  deliveredFrom(source: string): void {
    this.delivered.add(source);
  }
}
