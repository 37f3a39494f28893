// Loss on `lo` inside a test's namespace, made by nftables (this kernel has no tc netem): one table, `inet loss`.
import { spawnSync } from 'node:child_process';

/** Whether nft can make a table in this namespace (installed, and allowed: a user namespace may refuse). */
export const hasNft = () => {
  const probe = spawnSync('nft', ['add', 'table', 'inet', 'probe'], { stdio: 'ignore' }).status === 0;
  spawnSync('nft', ['delete', 'table', 'inet', 'probe'], { stdio: 'ignore' });
  return probe;
};

/** Why a loss test skips where nft cannot make a table. */
export const NO_NFT = 'nft cannot make a table here (not installed, or not allowed): no loss can be made (.ci/run installs nftables)';

function nft(...args: string[]): void {
  const ran = spawnSync('nft', args, { encoding: 'utf8' });
  if (ran.status !== 0) throw new Error(`nft ${args.join(' ')}: ${ran.stderr}`);
}

/** Drops datagrams to `port` on input: `percent` of them at random, or all of them. */
export function dropOnInput(port: number, percent: number): void {
  nft('add', 'table', 'inet', 'loss');
  nft('add', 'chain', 'inet', 'loss', 'in', '{ type filter hook input priority 0; }');
  if (percent >= 100) nft('add', 'rule', 'inet', 'loss', 'in', 'udp', 'dport', String(port), 'counter', 'drop');
  else
    nft('add', 'rule', 'inet', 'loss', 'in', 'udp', 'dport', String(port), 'numgen', 'random', 'mod', '100', '<', String(percent), 'counter', 'drop');
}

/** Datagrams the loss rule dropped so far. */
export function dropped(): number {
  const listed = spawnSync('nft', ['list', 'chain', 'inet', 'loss', 'in'], { encoding: 'utf8' }).stdout;
  return Number(/packets (\d+)/.exec(listed)?.[1] ?? 0);
}

/** Removes the loss table, if any. */
export function stopDropping(): void {
  spawnSync('nft', ['delete', 'table', 'inet', 'loss'], { stdio: 'ignore' });
}
