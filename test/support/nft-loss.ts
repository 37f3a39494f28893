// Loss on `lo` inside a test's namespace, made by nftables (testnet/loss-rule.ts): one table, `inet loss`.
import { spawnSync } from 'node:child_process';
import { addRule, droppedBy, dropWords, type Nft, removeTable } from '../../testnet/loss-rule';

/** Whether nft can make a table in this namespace (installed, and allowed: a user namespace may refuse). */
export const hasNft = () => {
  const probe = spawnSync('nft', ['add', 'table', 'inet', 'probe'], { stdio: 'ignore' }).status === 0;
  spawnSync('nft', ['delete', 'table', 'inet', 'probe'], { stdio: 'ignore' });
  return probe;
};

/** Why a loss test skips where nft cannot make a table. */
export const NO_NFT = 'nft cannot make a table here (not installed, or not allowed): no loss can be made (.ci/run installs nftables)';

/** nft in this namespace; a refusal throws with nft's own words. */
const here: Nft = (args) => {
  const ran = spawnSync('nft', args, { encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`nft ${args.join(' ')}: ${ran.stderr}`);
  return ran.stdout;
};

/** Drops datagrams to `port` on input: `percent` of them at random, or all of them. */
export function dropOnInput(port: number, percent: number): void {
  addRule(here, 'loss', 'in', dropWords(['udp', 'dport', String(port)], percent));
}

/** Datagrams the loss rule dropped so far. */
export function dropped(): number {
  return droppedBy(here, 'loss', 'in');
}

/** Removes the loss table, if any. */
export function stopDropping(): void {
  removeTable(here, 'loss');
}
