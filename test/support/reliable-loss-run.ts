// The reliable bus's loss test, shared by open and sealed buses: 2,000 messages at about 1,000 a second while nftables
// drops 5% of the datagrams to the bus port, and every one must arrive, in order, none reported lost.
import assert from 'node:assert/strict';
import type { MulticastBus } from '../../src/core/multicast-bus';
import { type Listener, lostBefore, numbers } from './bus-listener';
import { dropOnInput, dropped, stopDropping } from './nft-loss';
import { delay, until } from './until';

const COUNT = 2000;

/**
 * Runs the 5% loss test from `sending` to `inn` (registered with `receiving`); returns both sides' reliable counters.
 * `together` messages are published at once each time (a batching bus packs them into one datagram).
 */
export async function deliverThroughLoss(label: string, port: number, sending: MulticastBus, receiving: MulticastBus, inn: Listener, together = 1) {
  // One reliable message first, so the receiver hears a heartbeat before loss starts.
  await sending.publish('R', Buffer.from('0'), { reliable: true });
  await until('the stream to be reliable', () => (receiving.stats().reliable.receiver!.heartbeats as number) > 0);
  dropOnInput(port, 5);
  const started = performance.now();
  for (let i = 1; i < COUNT; i += together) {
    const numbers = Array.from({ length: Math.min(together, COUNT - i) }, (_, k) => i + k);
    await Promise.all(numbers.map((n) => sending.publish('R', Buffer.from(String(n)), { reliable: true })));
    // About 1,000 a second: every 10 messages, wait for the clock to catch up.
    const last = numbers.at(-1)!;
    if (Math.floor(last / 10) > Math.floor((i - 1) / 10)) await delay(Math.max(0, last - (performance.now() - started)));
  }
  await until(
    () => `${COUNT} messages; got ${inn.messages.length}`,
    () => inn.messages.length >= COUNT,
    10_000,
  );
  const drops = dropped();
  stopDropping();
  await delay(200);
  const sent = sending.stats().reliable.sender!;
  const received = receiving.stats().reliable.receiver!;
  console.log(
    `      ${label}: ${drops} datagrams dropped, ${inn.messages.length} delivered in ${Math.round(performance.now() - started)} ms; NAKs sent ${received.naksSent}, repairs heard ${received.repairs}, repairs sent ${sent.repairs}, summary ${JSON.stringify(receiving.summary())}`,
  );
  assert.deepEqual(
    numbers(inn.messages),
    Array.from({ length: COUNT }, (_, i) => i),
  );
  assert.equal(lostBefore(inn.messages), 0, 'no message reports a loss before it');
  assert.equal(receiving.summary().lost, 0, 'the bus counts none lost');
  assert.ok((received.naksSent as number) > 0 && (sent.repairs as number) > 0, 'NAKs and repairs were needed');
  return { sent, received };
}
