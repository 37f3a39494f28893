// The retained values test, shared by open and sealed buses: two values published, a listener started a second later
// asks for them and must get both, marked retained.
import assert from 'node:assert/strict';
import type { MulticastBus } from '../../src/core/multicast-bus';
import { type Listener, listener } from './bus-listener';
import { nextPort } from './ports';
import { delay, until } from './until';

/** Runs the late-listener test on buses made by `bus`; `others` listen on the late bus without asking. */
export async function retainedForLateListener(label: string, bus: (port: number) => MulticastBus, others: Listener[] = []) {
  const port = nextPort();
  const sending = bus(port);
  const out = listener();
  sending.addSender(out);
  await until('the send side', () => out.phase === 'ready', { every: 5 });
  await sending.publish('room/1', Buffer.from('21.5'), { retain: true });
  await sending.publish('room/2', Buffer.from('19.0'), { retain: true });
  await delay(1000);
  const receiving = bus(port);
  const asking = listener('#');
  const started = performance.now();
  receiving.addReceiver(asking);
  for (const other of others) receiving.addReceiver(other);
  await until(
    () => `both retained values; got ${asking.messages.length}`,
    () => asking.messages.length >= 2,
    2000,
  );
  console.log(`      ${label}: both values ${Math.round(performance.now() - started)} ms after the listener started`);
  await delay(300); // proving no copy follows, to it or to the others
  const got = asking.messages.map((m) => [m.topic, m.payload.toString(), m.retained]).sort();
  assert.deepEqual(got, [
    ['room/1', '21.5', true],
    ['room/2', '19.0', true],
  ]);
  return { sending, receiving };
}
