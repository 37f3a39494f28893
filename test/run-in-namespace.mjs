// Runs the mocha suite inside a network namespace of its own, so no multicast socket a test opens can reach a real
// network: as root a plain `unshare --net`, otherwise a user namespace (`unshare -rn`) where the kernel allows one.
// Where neither works the suite still runs, and every test that needs the namespace skips with the reason.
//
// Arguments go to mocha. Test files or globs among them run instead of .mocharc.json's spec, with its other options:
// `node test/run-in-namespace.mjs test/nodes/errors.test.ts` runs that one file (mocha alone would add it to the spec).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const isSpec = (arg) => !arg.startsWith('-') && (arg.includes('*') || arg.endsWith('.ts') || existsSync(arg));
const configFlags = () =>
  Object.entries(JSON.parse(readFileSync('.mocharc.json', 'utf8')))
    .filter(([name]) => name !== 'spec')
    .flatMap(([name, value]) =>
      [value].flat().flatMap((each) => (each === true ? [`--${name}`] : each === false ? [] : [`--${name}`, String(each)])),
    );
const mocha = ['node_modules/mocha/bin/mocha.js', ...(args.some(isSpec) ? ['--no-config', ...configFlags()] : []), ...args];
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
