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

/** Replaces a runtime's flows with one tab holding `flow`, through the admin API (a full deploy). */
export function deployFlow(red: NodeRedProcess, flow: Flow): Promise<unknown> {
  return red.api('/flows', { method: 'POST', body: [tab, ...flow], headers: { 'Node-RED-Deployment-Type': 'full' } });
}
