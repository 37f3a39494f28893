import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { requirePrivateNetwork } from './private-network';

/**
 * For a describe block whose tests each run one Node-RED: skips them without a private network, and stops the
 * Node-RED a test started, whether the test passed or not.
 */
export function nodeRedPerTest(): { start(options: Parameters<typeof startNodeRed>[0]): Promise<NodeRedProcess> } {
  let current: NodeRedProcess | undefined;
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return {
    async start(options) {
      current = await startNodeRed(options);
      return current;
    },
  };
}
