import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertFreshBuild } from './fresh-build';

const packageRoot = resolve(__dirname, '..');

/** A Node-RED started as a user starts it, with this package in its user directory. */
export interface NodeRedProcess {
  url: string;
  /** The process id (of Node-RED itself when started without a prefix). */
  pid: number;
  userDir: string;
  /** Everything Node-RED printed so far. */
  output(): string;
  /** The exit code once the process ended, null while it runs. */
  exitCode(): number | null;
  /** Calls the admin API: JSON in, JSON out. */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<any>;
  stop(): Promise<void>;
}

/**
 * Starts `node-red` in a new user directory where this package is linked into node_modules (as `npm install <path>`
 * does), with `flows` as its flow file. `prefix` runs it through another command, e.g. `ip netns exec host`.
 */
export async function startNodeRed(options: {
  port: number;
  flows?: unknown[];
  host?: string;
  prefix?: string[];
  /** More settings.js entries, e.g. nodesDir for nodes that are not in a package. */
  settings?: Record<string, unknown>;
  /** Options for node itself, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Another Node-RED to run: its red.js and the node binary to run it with (default: the project's, on this node). */
  runtime?: { node: string; redJs: string };
  /** Installs this package from a tarball with npm, as a user does, instead of linking the checkout. */
  tarball?: string;
}): Promise<NodeRedProcess> {
  assertFreshBuild();
  const userDir = mkdtempSync(join(tmpdir(), 'mcb-node-red-'));
  mkdirSync(join(userDir, 'node_modules'));
  writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'test-user-dir', private: true }));
  if (options.tarball) {
    // The flags the palette manager uses.
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict', options.tarball],
      { cwd: userDir, stdio: 'pipe' },
    );
  } else {
    symlinkSync(packageRoot, join(userDir, 'node_modules', 'node-red-contrib-multicast-bus'), 'dir');
  }
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(options.flows ?? []));
  const host = options.host ?? '127.0.0.1';
  writeFileSync(
    join(userDir, 'settings.js'),
    `module.exports = { uiHost: '${host}', uiPort: ${options.port}, flowFile: 'flows.json', credentialSecret: false, ` +
      `editorTheme: { tours: false }, telemetry: { enabled: false }, logging: { console: { level: 'info' } }, ` +
      `...${JSON.stringify(options.settings ?? {})} };\n`,
  );
  const { node, redJs } = options.runtime ?? { node: process.execPath, redJs: require.resolve('node-red/red.js') };
  const command = [
    ...(options.prefix ?? []),
    node,
    ...(options.nodeArgs ?? []),
    redJs,
    '--userDir',
    userDir,
    '--settings',
    join(userDir, 'settings.js'),
  ];
  const child: ChildProcess = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = `http://${host}:${options.port}`;

  const stop = () =>
    new Promise<void>((done) => {
      const finish = () => {
        rmSync(userDir, { recursive: true, force: true });
        done();
      };
      // A process killed by a signal has no exit code, only a signal code.
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      child.once('exit', finish);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });

  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`Node-RED did not start within 30 s:\n${output}`)), 30000);
    const check = () => {
      if (output.includes('Started flows')) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`Node-RED exited with ${code}:\n${output}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });

  return {
    url,
    pid: child.pid!,
    userDir,
    output: () => output,
    exitCode: () => child.exitCode,
    async api(path, init = {}) {
      const request = () =>
        fetch(`${url}${path}`, {
          method: init.method ?? 'GET',
          headers: { accept: 'application/json', 'content-type': 'application/json', ...init.headers },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        });
      // A kept-alive connection the server closes just as it is reused fails before the request is read: try again.
      const response = await request().catch((error: { cause?: { code?: string } }) => {
        if (error.cause?.code === 'ECONNRESET' && child.exitCode === null) return request();
        throw error;
      });
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
      const text = await response.text();
      // Most of the admin API answers JSON; a few routes (inject, for one) answer plain text.
      return response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    },
    stop,
  };
}
