import { startRuntimes } from '../../testnet/host-runtimes';
import type { NodeRedProcess } from '../../testnet/node-red-process';
import type { Topology } from '../../testnet/topology';

/**
 * For a describe block of multi-host tests: as root, builds the network and starts a Node-RED on each named host
 * before its tests, and stops both after them. Elsewhere it builds nothing, and each test skips itself
 * (requireRootNamespaces).
 */
export function networkPerSuite(
  isRoot: boolean,
  build: () => Topology,
  runtimes: string[],
): { readonly net: Topology; red: Record<string, NodeRedProcess> } {
  let net: Topology | undefined;
  const red: Record<string, NodeRedProcess> = {};
  before(async function () {
    this.timeout(120000);
    if (!isRoot) return;
    net = build();
    Object.assign(red, await startRuntimes(net, runtimes));
  });
  after(async () => {
    await Promise.all(Object.values(red).map((r) => r.stop()));
    net?.destroy();
  });
  return {
    get net() {
      if (!net) throw new Error('the test network is built only as root, before the tests');
      return net;
    },
    red,
  };
}
