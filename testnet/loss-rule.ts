// Loss made by nftables (this kernel has no `tc netem`), in whatever namespace `nft` runs: the rules that drop
// datagrams and the counters of what they dropped, shared by the tests and the bench. A rule on a host's input drops
// for that host alone (independent loss); on a sender's output, for every receiver at once (common loss).

/** Runs `nft` with these arguments where the loss is wanted (this namespace, or a host's), returning its output. */
export type Nft = (args: string[]) => string;

const HOOKS = { in: 'input', out: 'output' } as const;

/** The words of a rule that drops `percent` % of what `match` selects at random (all of it at 100 or more), counted. */
export function dropWords(match: string[], percent: number): string[] {
  const share = percent >= 100 ? [] : ['numgen', 'random', 'mod', '100', '<', String(percent)];
  return [...match, ...share, 'counter', 'drop'];
}

/** Adds the rule `words` to chain `chain` (on the input or output hook) of table `table`, making both when missing. */
export function addRule(nft: Nft, table: string, chain: keyof typeof HOOKS, words: string[]): void {
  nft(['add', 'table', 'inet', table]);
  nft(['add', 'chain', 'inet', table, chain, `{ type filter hook ${HOOKS[chain]} priority 0; }`]);
  nft(['add', 'rule', 'inet', table, chain, ...words]);
}

/** Packets the counting rules of a chain dropped so far, summed over the rules whose text `keep` accepts (all by default). */
export function droppedBy(nft: Nft, table: string, chain: keyof typeof HOOKS, keep: (rule: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of nft(['list', 'chain', 'inet', table, chain]).split('\n')) {
    const counted = /packets (\d+)/.exec(line);
    if (counted && keep(line)) sum += Number(counted[1]);
  }
  return sum;
}

/** Deletes the table and its rules (nothing happens when there is none). */
export function removeTable(nft: Nft, table: string): void {
  try {
    nft(['delete', 'table', 'inet', table]);
  } catch {
    // No table: nothing to remove.
  }
}
