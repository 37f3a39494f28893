// The reliable bus's loss test, shared by open and sealed buses: 2,000 messages at about 1,000 a second while nftables
// drops 5% of the datagrams to the bus port, and every one must arrive, in order, none reported lost.
import assert from 'node:assert/strict';
import type { MulticastBus } from '../../src/core/multicast-bus';
import { type Listener, lostBefore, numbers } from './bus-listener';
import { dropOnInput, dropped, stopDropping } from './nft-loss';
import { delay, until } from './until';

const COUNT = 2000;

/** Runs the 5% loss test from `sending` to `inn` (registered with `receiving`); returns both sides' reliable counters. */
export async function deliverThroughLoss(label: string, port: number, sending: MulticastBus, receiving: MulticastBus, inn: Listener) {
  // One reliable message first, so the receiver hears a heartbeat before loss starts.
  await sending.publish('R', Buffer.from('0'), { reliable: true });
  await until('the stream to be reliable', () => (receiving.stats().reliable.receiver!.heartbeats as number) > 0);
  dropOnInput(port, 5);
  const started = performance.now();
  for (let i = 1; i < COUNT; i++) {
    await sending.publish('R', Buffer.from(String(i)), { reliable: true });
    // About 1,000 a second: 10 messages, then wait for the clock to catch up.
    if (i % 10 === 0) await delay(Math.max(0, i - (performance.now() - started)));
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
