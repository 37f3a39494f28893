// Reliable and retained delivery on a sealed bus between real buses on `lo` (docs/reliability.md, "Sealed buses"):
// every control frame is sealed, so an outsider without the key can neither make a sender repair nor forge heartbeats.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseBusSettings } from '../../src/core/bus-settings';
import { decodeControlFrame, encodeControlFrame, type ControlFrame } from '../../src/core/control-frame';
import { framingForBus } from '../../src/core/framing-for-bus';
import { encodeMessage } from '../../src/core/lcm-codec';
import { MulticastBus } from '../../src/core/multicast-bus';
import type { SealedCounts } from '../../src/core/sealed-framing';
import { openPair } from '../support/bus-listener';
import { hasNft, NO_NFT, stopDropping } from '../support/nft-loss';
import { deliverThroughLoss } from '../support/reliable-loss-run';
import { retainedForLateListener } from '../support/retained-run';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { delay, until } from '../support/until';

const GROUP = '239.255.76.92';
const key = randomBytes(32);

function settings(port: number) {
  const parsed = parseBusSettings({ group: GROUP, port, iface: 'lo', ttl: 0, framing: 'lcm', security: 'sealed' });
  if (!('settings' in parsed)) throw new Error(`bad test settings: ${JSON.stringify(parsed)}`);
  return parsed.settings;
}

const sealedOf = (bus: MulticastBus) => bus.stats().sealed as SealedCounts;
const receiverOf = (bus: MulticastBus) => bus.stats().reliable.receiver!;
const senderOf = (bus: MulticastBus) => bus.stats().reliable.sender!;

function send(socket: Socket, bytes: Buffer, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(bytes, port, address, (error) => (error ? reject(error) : resolve())));
}

describe('reliable delivery on a sealed bus', function () {
  this.timeout(30_000);
  let buses: MulticastBus[] = [];
  let sockets: Socket[] = [];

  beforeEach(function () {
    requirePrivateNetwork(this);
    buses = [];
    sockets = [];
  });

  afterEach(async () => {
    stopDropping();
    for (const socket of sockets) socket.close();
    await Promise.all(buses.map((bus) => bus.close()));
  });

  function bus(port: number): MulticastBus {
    const made = new MulticastBus(settings(port), { keys: Promise.resolve({ current: key }) });
    buses.push(made);
    return made;
  }

  /** A sending bus and a listening bus with the same key, on a port of their own, both open. */
  const pair = () => openPair(bus);

  /** A UDP socket of the test's own on 127.0.0.1; joined to the group when `join`. */
  async function socket(join = false, port = 0): Promise<Socket> {
    const made = createSocket({ type: 'udp4', reuseAddr: true });
    sockets.push(made);
    await new Promise<void>((resolve) => made.bind(port, join ? undefined : '127.0.0.1', resolve));
    if (join) made.addMembership(GROUP, '127.0.0.1');
    return made;
  }

  it('repairs 5% random loss: 2,000 sealed messages at about 1,000/s all arrive in order, none lost', async function () {
    if (!hasNft()) skipWithReason(this, NO_NFT);
    const { port, sending, receiving, inn } = await pair();
    const { sent, received } = await deliverThroughLoss('sealed, 5% loss', port, sending, receiving, inn);
    assert.equal(sent.notOpened, 0, 'every NAK opened at the sender');
    assert.equal(receiving.summary().dropped, 0, 'every datagram heard opened: control frames are sealed too');
    // The stream is followed by its sealed session (16 hex digits), not by the UDP source.
    assert.deepEqual(
      Object.keys((received.sources as Record<string, unknown>) ?? {}).map((source) => /^[0-9a-f]{16}$/.test(source)),
      [true],
    );
  });

  it('gives retained values to a listener that starts later', async () => {
    const { sending, receiving } = await retainedForLateListener('sealed retained', bus);
    assert.equal(senderOf(sending).notOpened, 0, 'every retained request opened at the sender');
    assert.equal(receiving.summary().dropped, 0, 'every datagram heard opened');
  });

  it('an outsider without the key gets no repair, no retained value and no NAK with unsealed or forged control frames', async () => {
    const { port, sending, receiving, inn } = await pair();
    await sending.publish('room/1', Buffer.from('21.5'), { retain: true });
    for (let i = 0; i < 20; i++) await sending.publish('R', Buffer.from(String(i)), { reliable: true });
    await until('the 21 messages', () => inn.messages.length === 21);

    // The test holds the key, so it can read the sender's NAK port from a sealed heartbeat; an outsider cannot.
    const tap = await socket(true, port);
    const opener = framingForBus(settings(port), { keys: { current: key } });
    const heartbeat = await new Promise<{ frame: ControlFrame & { type: 'heartbeat' }; sealed: Buffer }>((resolve) => {
      tap.on('message', (bytes: Buffer, sender: RemoteInfo) => {
        const inner = opener.control!.open(bytes, sender);
        const decoded = inner && decodeControlFrame(inner);
        if (decoded && 'frame' in decoded && decoded.frame.type === 'heartbeat') resolve({ frame: decoded.frame, sealed: bytes });
      });
      void sending.publish('R', Buffer.from('20'), { reliable: true });
    });
    await until('message 21', () => inn.messages.length === 22);
    const { stream, nakPort } = heartbeat.frame;
    assert.ok(nakPort > 0, 'the heartbeat names the NAK port');

    const outsider = await socket();
    const beforeSender = sealedOf(sending);
    const beforeReceiver = sealedOf(receiving);
    const ignoredBefore = Number(receiverOf(receiving).heartbeatsIgnored);
    // To the sender's NAK socket: unsealed NAKs and retained requests naming its real stream, and the same sealed with
    // a key of the outsider's own.
    const nak = encodeControlFrame({ type: 'nak', stream, entries: [{ seq: 3, first: 0, last: 0xffff }] });
    const request = encodeControlFrame({ type: 'retained-request', stream, nonce: 7, filter: '#' });
    const foreign = framingForBus(settings(port), { keys: { current: randomBytes(32) } }).control!;
    const toNakPort = [nak, request, nak, request, foreign.seal(nak), foreign.seal(request)];
    for (const bytes of toNakPort) await send(outsider, bytes, nakPort, '127.0.0.1');
    // To the group: unsealed data (a source that "sent data lately", on an open bus), then heartbeats announcing
    // 1,000 more of the real stream, unsealed and under the foreign key, and the captured heartbeat replayed.
    const data = encodeMessage('R', Buffer.from('x'), 1, 1400).map(([header, body]) => Buffer.concat([header, body]))[0];
    const forged = encodeControlFrame({ ...heartbeat.frame, newest: heartbeat.frame.newest + 1000, nakPort });
    const toGroup = [data, forged, forged, foreign.seal(forged), heartbeat.sealed];
    for (const bytes of toGroup) await send(outsider, bytes, port, GROUP);
    await until('the group heard the outsider', () => {
      const r = sealedOf(receiving);
      return r.plain + r.unknownKey + r.replayed - beforeReceiver.plain - beforeReceiver.unknownKey - beforeReceiver.replayed >= toGroup.length;
    });
    await delay(500); // past every NAK back-off and several retries, and any repair an outsider's NAK could cause

    const sent = senderOf(sending);
    const received = receiverOf(receiving);
    const afterSender = sealedOf(sending);
    const afterReceiver = sealedOf(receiving);
    assert.equal(sent.repairs, 0, 'no repair for an outsider');
    assert.equal(sent.retainedAnswers, 0, 'no retained value for an outsider');
    assert.equal(sent.notOpened, 6, 'every frame to the NAK port dropped as not opened');
    assert.deepEqual([afterSender.plain - beforeSender.plain, afterSender.unknownKey - beforeSender.unknownKey], [4, 2]);
    assert.equal(received.naksSent, 0, 'no NAK for 1,000 messages announced by a forged heartbeat');
    // (The stream's own first heartbeat, sent just before its first message, is counted there once: not the outsider's.)
    assert.equal(Number(received.heartbeatsIgnored) - ignoredBefore, 0, 'no forged heartbeat got as far as the reliable receive side');
    assert.equal(received.malformed, 0);
    assert.deepEqual(
      [
        afterReceiver.plain - beforeReceiver.plain,
        afterReceiver.unknownKey - beforeReceiver.unknownKey,
        afterReceiver.replayed - beforeReceiver.replayed,
      ],
      [3, 1, 1],
    );
    assert.equal(inn.messages.length, 22, 'nothing from the outsider delivered');
  });
});
