// NAKs are unicast to the address a heartbeat names, and anyone can send a heartbeat on an open bus with a forged
// source: without a bound, one forged heartbeat announcing a thousand messages would make every receiver send NAKs to
// a third host. So NAKs to an address are bounded by what was heard from it: in any second, at most the data messages
// received from that address plus a small allowance, as a real sender's losses never need more.
import { remember } from './recent-map';

/** NAK frames an address may get a second beyond the data messages heard from it. */
export const NAK_ALLOWANCE = 16;
const WINDOW_MS = 1000;
/** Addresses tracked at once; past it the least recently heard is forgotten (and gets only the allowance). */
export const MAX_ADDRESSES = 1024;

interface Tally {
  windowStart: number;
  heard: number;
  naks: number;
}

/** Counts data heard and NAKs sent per address, per second, and says whether one more NAK may go. */
export class NakBudget {
  private readonly tallies = new Map<string, Tally>();
  private refusedCount = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A data message came from `address`. */
  heard(address: string): void {
    this.tally(address).heard++;
  }

  /** Whether a NAK to `address` may go now; a true answer counts it. */
  allow(address: string): boolean {
    const tally = this.tally(address);
    if (tally.naks >= tally.heard + NAK_ALLOWANCE) {
      this.refusedCount++;
      return false;
    }
    tally.naks++;
    return true;
  }

  /** NAKs refused so far, for the stats route. */
  get refused(): number {
    return this.refusedCount;
  }

  private tally(address: string): Tally {
    const at = this.now();
    let tally = this.tallies.get(address);
    if (!tally) {
      tally = { windowStart: at, heard: 0, naks: 0 };
      remember(this.tallies, address, tally, MAX_ADDRESSES);
    } else if (at - tally.windowStart >= WINDOW_MS) {
      // A new second. Most recently heard last, so the first key is the one to forget: moved once a second, not per
      // message.
      remember(this.tallies, address, tally, MAX_ADDRESSES);
      tally.windowStart = at;
      tally.heard = 0;
      tally.naks = 0;
    }
    return tally;
  }
}
