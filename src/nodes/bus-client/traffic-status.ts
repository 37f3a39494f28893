import type { NodeAPI } from 'node-red';
import { RateMeter } from '../../core/rate-meter';

/** Words a node type's `status` section: `<type>.status.<key>`. */
export type StatusWord = (key: string, params?: Record<string, string | number>) => string;

/** The status words of node type `type`, from its own catalog. */
export function statusWords(RED: NodeAPI, type: string): StatusWord {
  return (key, params = {}) => RED._(`${type}.status.${key}`, params);
}

/** A rate as a status shows it: whole numbers from 10/s, one decimal below, two below 0.1/s. */
export function rateText(rate: number): string {
  if (rate >= 10) return String(Math.round(rate));
  return rate >= 0.1 ? rate.toFixed(1) : rate.toFixed(2);
}

/**
 * What a multicast in counts of its own traffic, for its status: the messages it passed on after its topic filter,
 * the messages lost from the senders it delivers from, and the messages it dropped itself.
 */
export class ReceiverTraffic {
  private readonly passed = new RateMeter();
  private lost = 0;
  private dropped = 0;

  constructor(
    private readonly word: StatusWord,
    private readonly label: string,
    /** Datagrams the bus itself refused (malformed, unauthenticated, replayed, over the limit): every listener's concern. */
    private readonly rejectedByBus: () => number,
  ) {}

  /**
   * The node sent on a message. `lostBefore` is how many messages of its sender went missing just before it: a gap is
   * counted against the next message heard from that sender, so a node counts the gaps before the messages it takes
   * (of any topic, if that is where its filter lets them through), and not the gaps before messages it filters out.
   */
  delivered(lostBefore = 0): void {
    this.passed.add();
    this.lost += lostBefore;
  }

  /** The node dropped a message its filter let through (say, not JSON where JSON was asked for). */
  droppedOne(lostBefore = 0): void {
    this.dropped++;
    this.lost += lostBefore;
  }

  /** `239.255.76.67:7667 · 0.8/s · lost 2 · dropped 1 · rejected 3`, each count only when there is one. */
  text(): string {
    const rate = this.passed.rate();
    const parts = [this.label, rate > 0 ? this.word('rate', { rate: rateText(rate) }) : this.word('idle')];
    if (this.lost > 0) parts.push(this.word('lost', { count: this.lost }));
    if (this.dropped > 0) parts.push(this.word('dropped', { count: this.dropped }));
    const rejected = this.rejectedByBus();
    if (rejected > 0) parts.push(this.word('rejected', { count: rejected }));
    return parts.join(' · ');
  }
}

/** What a multicast out counts of its own traffic, for its status: the messages it handed to the bus. */
export class SenderTraffic {
  private readonly sentMeter = new RateMeter();

  constructor(
    private readonly word: StatusWord,
    private readonly label: string,
  ) {}

  /** The bus took a message of this node. */
  sent(): void {
    this.sentMeter.add();
  }

  /** `239.255.76.67:7667 · sent 2.0/s`, or `239.255.76.67:7667 · idle` when it sent nothing lately. */
  text(): string {
    const rate = this.sentMeter.rate();
    return `${this.label} · ${rate > 0 ? this.word('sent', { rate: rateText(rate) }) : this.word('idle')}`;
  }
}
