/**
 * Flows for node-red-node-test-helper: our nodes from the one builder (testnet/flow-nodes.ts, whose defaults keep a
 * bus on this host: lo, TTL 0, raw framing), and the helper and Catch nodes the tests wire around them.
 */
import { freshId, tab } from '../../testnet/flow-nodes';

export { bus, multicastIn, multicastOut, tab } from '../../testnet/flow-nodes';

/** A helper node: it stands in for whatever a flow feeds, and a test reads what reaches it. */
export function sink(name = 'sink') {
  return { id: freshId(name), type: 'helper', z: tab.id, wires: [] };
}

/** A Catch node for every node on the tab, wired to the node `wiredTo`. */
export function catcher(wiredTo: string) {
  return { id: freshId('catch'), type: 'catch', z: tab.id, scope: null, uncaught: false, wires: [[wiredTo]] };
}
