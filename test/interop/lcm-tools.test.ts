import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bus, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { collect, helper, isReady, ourNodes, waitForStatus } from '../support/node-red';
import { readLcmLog, writeLcmLog } from '../support/lcm-log';
import { nextPort } from '../support/ports';
import { ip, requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { until } from '../support/until';

const haveLcm = spawnSync('lcm-logger', ['--help'], { stdio: 'ignore' }).error === undefined;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A payload whose every byte depends on its position, so a misplaced fragment shows. */
function patterned(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe("LCM's own tools as peers (liblcm-bin)", function () {
  this.timeout(30000);
  let dir: string;
  let children: ChildProcess[] = [];
  const port = nextPort();
  const url = `udpm://239.255.76.67:${port}?ttl=0`;

  beforeEach(function () {
    requirePrivateNetwork(this);
    if (!haveLcm) skipWithReason(this, "needs LCM's tools (apt-get install liblcm-bin; .ci/run installs it)");
    // LCM joins with the OS default interface, so the group needs a route; lo carries it inside this namespace.
    ip('link', 'set', 'lo', 'multicast', 'on');
    ip('route', 'replace', '224.0.0.0/4', 'dev', 'lo');
    dir = mkdtempSync(join(tmpdir(), 'mcb-lcm-'));
  });
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL');
    children = [];
    await helper.unload();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (haveLcm) {
      try {
        ip('route', 'del', '224.0.0.0/4', 'dev', 'lo');
      } catch {
        // Never added: the test was skipped before.
      }
    }
  });

  async function loadBus(filter: string, fields: Record<string, unknown> = {}) {
    const b = bus({ framing: 'lcm', port, iface: 'lo', ttl: 0, ...fields });
    const received = sink();
    const inNode = multicastIn(b.id, received.id, { topic: filter, datatype: 'buffer' });
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, inNode, outNode, received]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    return { busId: b.id, sender: helper.getNode(outNode.id), received: helper.getNode(received.id) };
  }

  it('multicast-in receives what lcm-logplayer plays, small and fragmented, with topics and bytes intact', async () => {
    const events = [
      { channel: 'POSE', data: patterned(40, 1) },
      { channel: 'CAMERA_IMAGE', data: patterned(300_000, 2) },
      { channel: 'POSE', data: patterned(40, 3) },
      { channel: 'LIDAR/front', data: patterned(65_000, 4) },
    ];
    const log = join(dir, 'play.log');
    writeFileSync(log, writeLcmLog(events));
    const { received } = await loadBus('');
    const seen = collect(received);

    const player = spawn('lcm-logplayer', [`--lcm-url=${url}`, log], { stdio: 'ignore' });
    children.push(player);
    await until('four messages from lcm-logplayer', () => seen.length >= 4, 15000);
    assert.deepEqual(
      seen.map((m) => [m.topic, m.payload.length, sha(m.payload)]),
      events.map((e) => [e.channel, e.data.length, sha(e.data)]),
    );
    assert.ok(seen.every((m) => m.multicast.lost === 0));
  });

  /** lcm-logger recording the group into a file, started and joined; its log's events without LCM's own and the nudges. */
  async function startLogger() {
    const log = join(dir, 'recorded.log');
    // LCM's own advice for large messages: a receive buffer big enough for a burst of fragments.
    const logger = spawn('lcm-logger', ['-f', `--lcm-url=${url}&recv_buf_size=8388608`, log], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(logger);
    let said = '';
    logger.stdout!.on('data', (chunk) => (said += chunk));
    logger.stderr!.on('data', (chunk) => (said += chunk));
    await until('lcm-logger to open its log', () => said.includes('Opening log file'));
    // Its own membership, before any of ours: the group on lo.
    await until('lcm-logger to join the group', () => ip('maddr', 'show', 'dev', 'lo').includes('239.255.76.67'));
    const logged = () => readLcmLog(readFileSync(log)).filter((e) => e.channel !== 'LCM_SELF_TEST' && e.channel !== 'NUDGE');
    return { logger, logged, said: () => said };
  }

  it('lcm-logger records what multicast-out sends, small and fragmented, with channels and bytes intact', async () => {
    const { logger, logged } = await startLogger();
    const { sender } = await loadBus('nothing-here');
    const sent = [
      { channel: 'STATUS', data: patterned(100, 5) },
      { channel: 'MAP/tiles', data: patterned(700_000, 6) },
      { channel: 'STATUS', data: patterned(1372, 7) },
    ];
    for (const message of sent) sender.receive({ topic: message.channel, payload: message.data });

    // lcm-logger flushes its file when an event arrives at least --flush-interval (100 ms) after the last flush, or on
    // exit: nudge it with a further event until all we sent is in the file, then stop it as a user would, with Ctrl-C.
    await until(
      () => `lcm-logger to write all ${sent.length} messages; it wrote ${logged().length}`,
      () => {
        if (logged().length >= sent.length) return true;
        sender.receive({ topic: 'NUDGE', payload: Buffer.alloc(1) });
        return false;
      },
      { every: 200 },
    );
    const exited = new Promise((resolve) => logger.once('exit', resolve));
    logger.kill('SIGINT');
    await exited;
    const recorded = logged();
    assert.deepEqual(
      recorded.map((e) => [e.channel, e.data.length, sha(e.data)]),
      sent.map((m) => [m.channel, m.data.length, sha(m.data)]),
    );
  });

  it('with Batch on, lcm-logger records every message sent alone and none of a batch, as the help says, and keeps running', async () => {
    const { logger, logged, said } = await startLogger();
    const { busId, sender } = await loadBus('nothing-here', { batch: true });
    // Each step is one turn of the event loop, 150 ms apart: a message alone goes out as plain LC02; 20 together as
    // two MCBP batches (1,400 bytes hold 17), 3 together as one, which LCM does not know.
    const turn = (messages: { topic: string; payload: Buffer }[]) =>
      new Promise((resolve) => setTimeout(resolve, 150)).then(() => messages.forEach((m) => sender.receive(m)));
    const alone = (k: number) => [{ topic: 'ALONE', payload: patterned(64, k) }];
    const batched = (count: number, seed: number) =>
      Array.from({ length: count }, (_, i) => ({ topic: 'BATCHED', payload: patterned(64, seed + i) }));
    for (const step of [alone(1), batched(20, 10), alone(2), alone(3), batched(3, 40), alone(4), alone(5)]) await turn(step);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await until(
      () => `lcm-logger to write the 5 lone messages; it wrote ${JSON.stringify(logged().map((e) => [e.channel, e.data[0]]))}`,
      () => {
        if (logged().filter((e) => e.channel === 'ALONE').length >= 5) return true;
        // Alone in its turn, so never batched with the last message.
        sender.receive({ topic: 'NUDGE', payload: Buffer.alloc(1) });
        return false;
      },
      { every: 200 },
    );
    assert.equal(logger.exitCode, null, `lcm-logger exited: ${said()}`);
    const exited = new Promise((resolve) => logger.once('exit', resolve));
    logger.kill('SIGINT');
    await exited;
    assert.deepEqual(
      logged().map((e) => [e.channel, sha(e.data)]),
      [1, 2, 3, 4, 5].map((k) => ['ALONE', sha(patterned(64, k))]),
    );
    // The 23 batched messages did go out, in three batches: LCM skipped them, nothing lost them on the way.
    const { batches } = (await helper.request().get(`/multicast-bus/${busId}/stats`).expect(200)).body;
    assert.equal(batches.batchesSent, 3);
    assert.equal(batches.messagesPacked, 23);
  });
});
