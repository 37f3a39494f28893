import helper = require('node-red-node-test-helper');
import { assertFreshBuild } from '../../testnet/fresh-build';
import { until } from './until';

helper.init(require.resolve('node-red'));

// The nodes as Node-RED loads them: the build output, not the TypeScript sources; so never an old build.
assertFreshBuild();
export const busNode = require('../../nodes/multicast-bus.js');
export const inNode = require('../../nodes/multicast-in.js');
export const outNode = require('../../nodes/multicast-out.js');
export const ourNodes = [busNode, inNode, outNode];

// Core nodes that tests wire around ours, loaded from the Node-RED we test against.
const coreNodes = require.resolve('@node-red/nodes/package.json', { paths: [require.resolve('node-red')] }).replace(/package\.json$/, '');
export const catchNode = require(`${coreNodes}core/common/25-catch.js`);
export const injectNode = require(`${coreNodes}core/common/20-inject.js`);
export const udpNode = require(`${coreNodes}core/network/32-udp.js`);

export { helper };

type AnyNode = { on(event: string, cb: (arg: any) => void): void; removeListener(event: string, cb: (arg: any) => void): void };
type Status = { fill?: string; shape?: string; text?: string };
type StatusSpy = { getCalls(): { thisValue: unknown; args: Status[] }[] };

/** Resolves with the next message a helper node receives, or rejects after `ms`. */
export function nextMessage(node: AnyNode, ms = 3000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no message within ${ms} ms`));
    }, ms);
    const onInput = (msg: unknown) => {
      clearTimeout(timer);
      node.removeListener('input', onInput);
      resolve(msg);
    };
    node.on('input', onInput);
  });
}

/** Collects every message a helper node receives from now on. */
export function collect(node: AnyNode): any[] {
  const seen: any[] = [];
  node.on('input', (msg: unknown) => seen.push(msg));
  return seen;
}

/** The status a node shows now: its last status call (the helper's spy is shared by all nodes, so filter by node). */
export function currentStatus(node: unknown): Status | undefined {
  const calls = (node as { status: StatusSpy }).status.getCalls().filter((call) => call.thisValue === node);
  return calls.length ? calls[calls.length - 1].args[0] : undefined;
}

/** Waits until a node's current status satisfies `accept`; rejects with the last status seen after `ms`. */
export function waitForStatus(node: unknown, accept: (status: Status) => boolean, ms = 5000): Promise<Status> {
  const name = (node as { id?: string } | null)?.id ?? 'the node';
  return until(
    () => `a status of ${name} that matches; last was ${JSON.stringify(currentStatus(node))}`,
    () => {
      const status = currentStatus(node);
      return status && accept(status) ? status : undefined;
    },
    { ms, every: 25 },
  );
}

/** True for the green dot an in/out node shows once its side of the bus is open. */
export const isReady = (status: Status) => status.fill === 'green' && status.shape === 'dot';
