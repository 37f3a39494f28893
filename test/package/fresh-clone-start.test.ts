// `npm start` typed in a fresh clone, with no command before it: it installs the dependencies itself (npm's prestart
// hook), builds, and serves the editor with the loopback demo running. The clone is a copy of what `git clone` would
// give of this working tree, uncommitted work included: no node_modules, no nodes/.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { until } from '../support/until';

const root = join(__dirname, '..', '..');
const demo: { id: string; type: string }[] = JSON.parse(readFileSync(join(root, 'examples', 'Loopback demo.json'), 'utf8'));

/** The files a clone of this working tree holds: tracked ones still present, and new ones git does not ignore. */
function cloneFiles(): string[] | undefined {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return listed.split('\0').filter((path) => path !== '' && existsSync(join(root, path)));
  } catch {
    return undefined;
  }
}

/**
 * The environment of a new terminal: none of the variables npm sets for the script running these tests (its
 * npm_config_local_prefix alone would point the inner npm at this checkout), and no node_modules/.bin on PATH.
 * npm's cache stays the one this run's npm uses: the test has no network, so the install comes from there.
 */
function freshTerminalEnv(port: number): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD'));
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.includes('node_modules'))
    .join(delimiter);
  if (process.env.npm_config_cache) env.npm_config_cache = process.env.npm_config_cache;
  return { ...env, npm_config_offline: 'true', PORT: String(port) };
}

/** Whether any process of the process group is still there. */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // Gone meanwhile.
  }
}

/** Stops every process of the group (npm, the demo script, Node-RED), however far it got: SIGTERM, then SIGKILL. */
async function stopGroup(group: number): Promise<void> {
  if (!groupAlive(group)) return;
  signalGroup(group, 'SIGTERM');
  await until('the demo to stop', () => !groupAlive(group), { ms: 5000, every: 100 }).catch(() => signalGroup(group, 'SIGKILL'));
  await until('the demo to be killed', () => !groupAlive(group), 5000);
}

describe('a fresh clone', function () {
  // npm ci from the cache takes 10 to 60 s, the build a few, Node-RED a few more.
  this.timeout(300_000);

  it('`npm start`, typed first, installs what it needs and serves the editor with the loopback demo delivering', async function () {
    requirePrivateNetwork(this);
    const files = cloneFiles();
    if (!files) return skipWithReason(this, 'needs git and a git checkout, to know which files a clone holds');
    assert.ok(!files.some((path) => path.startsWith('node_modules/') || path.startsWith('nodes/')), 'a clone has no node_modules, no nodes/');

    const clone = mkdtempSync(join(tmpdir(), 'mcb-fresh-clone-'));
    let child: ChildProcess | undefined;
    let output = '';
    try {
      for (const path of files) {
        mkdirSync(dirname(join(clone, path)), { recursive: true });
        copyFileSync(join(root, path), join(clone, path));
      }
      const port = nextPort();
      // In a process group of its own, so that npm, the demo script and Node-RED all stop together.
      child = spawn('npm', ['start'], { cwd: clone, env: freshTerminalEnv(port), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      const exited = () => child!.exitCode !== null || child!.signalCode !== null;
      const started = await until(
        () => `Node-RED to start (it says "Started flows")\n${output}`,
        () => {
          if (output.includes('Started flows')) return true;
          if (exited()) throw new Error(`npm start exited with ${child!.exitCode ?? child!.signalCode}:\n${output}`);
          return undefined;
        },
        { ms: 240_000, every: 250 },
      ).catch((error: Error) => error);
      if (started instanceof Error) {
        // A cache that lacks a package is this machine's state, not the project's: npm test installs with the network.
        const missing = /ENOTCACHED.*?request to (\S+)/s.exec(output);
        if (missing) return skipWithReason(this, `npm's cache lacks ${missing[1]}, and this test has no network to fetch it`);
        throw started;
      }
      assert.match(output, /node_modules is missing: installing the dependencies/, 'npm start installed the dependencies itself');

      const url = `http://127.0.0.1:${port}`;
      const editor = await fetch(`${url}/`);
      assert.equal(editor.status, 200);
      assert.match(await editor.text(), /<title>Node-RED<\/title>/, 'the editor is served');

      const flows: { id: string; type: string }[] = await (await fetch(`${url}/flows`, { headers: { accept: 'application/json' } })).json();
      const deployed = new Map(flows.map((node) => [node.id, node.type]));
      for (const node of demo) assert.equal(deployed.get(node.id), node.type, `the demo's ${node.type} ${node.id} is deployed`);
      assert.deepEqual(
        ['multicast-bus', 'multicast-in', 'multicast-out'].filter((type) => !demo.some((node) => node.type === type)),
        [],
        'the demo uses every node of the package',
      );

      // The demo injects a reading every 2 s: its multicast-in has heard one once the bus counts a message.
      const bus = demo.find((node) => node.type === 'multicast-bus')!;
      await until(
        () => `the demo's bus to deliver a message\n${output}`,
        async () => {
          const response = await fetch(`${url}/multicast-bus/${bus.id}/stats`).catch(() => undefined);
          return response?.ok === true && (await response.json()).messages > 0;
        },
        15_000,
      );
      assert.doesNotMatch(output, /\[error\]/, 'nothing logged as an error');
    } finally {
      if (child?.pid !== undefined) await stopGroup(child.pid);
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
