// `npm run bench` (and `npm run bench -- --ci`): runs bench/run.ts inside a network namespace of its own, as root, so
// the benchmark's LAN of namespaces, its admin link and its routes never touch this machine's own network.
import { spawnSync } from 'node:child_process';

if (process.getuid?.() !== 0) {
  console.error('npm run bench builds a LAN of network namespaces (ip netns), which needs root: run it as root, as CI does.');
  process.exit(2);
}
const run = [process.execPath, '--require', 'tsx/cjs', 'bench/run.ts', ...process.argv.slice(2)];
const inner = `ip link set lo up && exec ${run.map((a) => JSON.stringify(a)).join(' ')}`;
const result = spawnSync('unshare', ['--net', 'sh', '-c', inner], { stdio: 'inherit' });
process.exit(result.status ?? 1);
