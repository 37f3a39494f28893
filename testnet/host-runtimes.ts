import { type Flow, tab } from './flow-nodes';
import { startNodeRed, type NodeRedProcess } from './node-red-process';
import type { Topology } from './topology';

/** Starts a Node-RED on each named host of a topology, listening on the host's own address, port 1880. */
export async function startRuntimes(
  net: Topology,
  names: string[],
  settings?: Record<string, unknown>,
  nodeArgs?: string[],
): Promise<Record<string, NodeRedProcess>> {
  const red: Record<string, NodeRedProcess> = {};
  await Promise.all(
    names.map(async (name) => {
      const host = net.hosts[name];
      red[name] = await startNodeRed({ port: 1880, host: host.address, prefix: ['ip', 'netns', 'exec', host.namespace], settings, nodeArgs });
    }),
  );
  return red;
}

const STARTED = /Started flows/g;
const startedSoFar = (red: NodeRedProcess) => red.output().match(STARTED)?.length ?? 0;

/**
 * Replaces a runtime's flows with one tab holding `flow`, through the admin API (a full deploy), and resolves once
 * they run. Node-RED answers the deploy before it has started the new flows (their nodes are made after the
 * answer), so this waits for the runtime's own "Started flows" line that follows the deploy.
 */
export async function deployFlow(red: NodeRedProcess, flow: Flow): Promise<unknown> {
  const before = startedSoFar(red);
  const answer = await red.api('/flows', { method: 'POST', body: [tab, ...flow], headers: { 'Node-RED-Deployment-Type': 'full' } });
  const deadline = Date.now() + 30_000;
  while (startedSoFar(red) <= before) {
    if (Date.now() > deadline) throw new Error(`the deployed flows did not start within 30 s; Node-RED said:\n${red.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return answer;
}
