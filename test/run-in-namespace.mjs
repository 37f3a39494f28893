// Runs the mocha suite inside a network namespace of its own, so no multicast socket a test opens can reach a real
// network: as root a plain `unshare --net`, otherwise a user namespace (`unshare -rn`) where the kernel allows one.
// Where neither works the suite still runs, and every test that needs the namespace skips with the reason.
import { spawnSync } from 'node:child_process';

const mocha = ['node_modules/mocha/bin/mocha.js', ...process.argv.slice(2)];
const inner = `ip link set lo up && exec ${JSON.stringify(process.execPath)} ${mocha.map((a) => JSON.stringify(a)).join(' ')}`;

function works(args) {
  return spawnSync('unshare', [...args, 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
}

const isRoot = process.getuid?.() === 0;
let mode = 'none';
if (isRoot && works(['--net'])) mode = 'root';
else if (works(['-rn'])) mode = 'user';

const env = { ...process.env, MULTICAST_BUS_TEST_NETNS: mode };
const result =
  mode === 'none'
    ? spawnSync(process.execPath, mocha, { stdio: 'inherit', env })
    : spawnSync('unshare', [...(mode === 'root' ? ['--net'] : ['-rn']), 'sh', '-c', inner], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
