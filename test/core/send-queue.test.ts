import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { decodeDatagram } from '../../src/core/lcm-codec';
import { LcmFraming } from '../../src/core/lcm-framing';
import { SendQueue, type SendQueueLimits } from '../../src/core/send-queue';

/** A socket that records what it is given; it confirms each send on the next turn unless told not to. */
class RecordingSocket extends EventEmitter {
  readonly sent: Buffer[] = [];
  confirms = true;
  send(data: Buffer | Buffer[], _port: number, _group: string, sent: (error: Error | null) => void): void {
    this.sent.push(Buffer.concat(Array.isArray(data) ? data : [data]));
    if (this.confirms) setImmediate(() => sent(null));
  }
}

/** A queue over LCM framing whose socket opens when the test says so. */
function queueWith(limits: Partial<SendQueueLimits> = {}, maxDatagram = 1400) {
  const framing = new LcmFraming({ maxDatagram, maxMessage: 1 << 20 });
  const socket = new RecordingSocket();
  let open = false;
  const queue = new SendQueue(
    {
      group: '239.255.76.67',
      port: 7667,
      label: '239.255.76.67:7667',
      framing: () => framing,
      socket: () => (open ? (socket as unknown as Socket) : undefined),
      problem: () => (open ? undefined : { code: 'iface-missing', params: { iface: 'lan0' } }),
    },
    { messages: 1000, bytes: 16 << 20, waitMs: 5000, ...limits },
  );
  return {
    queue,
    socket,
    open() {
      open = true;
      queue.wake();
    },
    /** Sequence numbers of what went out, one per message (fragments of a message share theirs). */
    seqs: () => [...new Set(socket.sent.map((bytes) => (decodeDatagram(bytes) as { seq: number }).seq))],
  };
}

describe('send queue (order, numbering, bounds)', () => {
  it('sends what waited for the socket in publish order, numbered without gaps, with a large message among them', async () => {
    const bus = queueWith({}, 200);
    const sent = ['a', 'b', 'big', 'c'].map((name) => bus.queue.publish(name, name === 'big' ? Buffer.alloc(20_000) : Buffer.from(name)));
    assert.equal(bus.socket.sent.length, 0, 'nothing before the socket opens');
    bus.open();
    await Promise.all(sent);
    await bus.queue.publish('d', Buffer.from('d'));
    assert.deepEqual(bus.seqs(), [0, 1, 2, 3, 4]);
    const channels = bus.socket.sent.map((bytes) => (decodeDatagram(bytes) as { channel?: string }).channel).filter(Boolean);
    assert.deepEqual(channels, ['a', 'b', 'big', 'c', 'd']);
  });

  it('gives a refused or expired message no sequence number, so receivers count no loss for it', async () => {
    const bus = queueWith({ messages: 1, waitMs: 50 });
    const expired = bus.queue.publish('x', Buffer.from('x'));
    await assert.rejects(
      bus.queue.publish('y', Buffer.from('y')),
      (e: any) => e.problem.code === 'send-queue-full' && e.underlying.code === 'iface-missing',
    );
    await assert.rejects(expired, (e: any) => e.problem.code === 'not-ready' && e.underlying.code === 'iface-missing');
    bus.open();
    await bus.queue.publish('z', Buffer.from('z'));
    assert.deepEqual(bus.seqs(), [0]);
    assert.deepEqual(bus.queue.counts, { sent: 1, refused: 1, expired: 1 });
  });

  it('sends a message larger than the queue bound when nothing waits before it', async () => {
    const bus = queueWith({ bytes: 1000 }, 200);
    bus.open();
    await bus.queue.publish('big', Buffer.alloc(50_000));
    assert.equal(bus.seqs().length, 1);
    assert.ok(bus.socket.sent.length > 32, `${bus.socket.sent.length} fragments, more than one burst`);
  });

  it('fails a message the bus can never send at once, even while it waits for the socket', async () => {
    const bus = queueWith();
    await assert.rejects(bus.queue.publish('', Buffer.from('no topic')), (e: any) => e.problem.code === 'topic-empty');
    assert.equal(bus.queue.waiting, 0);
  });

  it('fails what waits when the last sender leaves, at once', async () => {
    const bus = queueWith();
    const waiting = bus.queue.publish('w', Buffer.from('w'));
    bus.queue.abandon();
    await assert.rejects(waiting, (e: any) => e.problem.code === 'sender-left');
    bus.open();
    await bus.queue.publish('after', Buffer.from('after'));
    assert.deepEqual(bus.seqs(), [0], 'the abandoned message took no number and did not go out');
  });

  it('fails a send whose socket closes before confirming it, instead of waiting for ever', async () => {
    const bus = queueWith();
    bus.open();
    bus.socket.confirms = false;
    const sending = bus.queue.publish('lost', Buffer.from('lost'));
    bus.socket.emit('close');
    await assert.rejects(sending, (e: any) => e.problem.code === 'socket-other');
  });
});
