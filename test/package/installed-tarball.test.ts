// The package as users get it: `npm pack`, then installed into a fresh user directory the way the palette manager
// installs it, on each Node-RED the package claims to support, started with the Node.js that Node-RED needs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { nextPort } from '../support/ports';
import { ip, requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { until } from '../support/until';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const ourTypes = ['multicast-bus', 'multicast-in', 'multicast-out'];

/** The runtimes tested: the project's own Node-RED, and two installed by install-runtimes.mjs (part of `npm test`). */
const runtimesDir = join(root, 'node_modules', '.cache', 'multicast-bus-runtimes');
const RUNTIMES = [
  { label: 'Node-RED 4.1, the version the other tests use, on Node.js 20', dir: root, node: process.execPath },
  { label: 'Node-RED 4.1.0, the oldest claimed, on Node.js 20', dir: join(runtimesDir, 'node-red-4.1.0'), node: process.execPath },
  {
    label: 'Node-RED 5 on Node.js 22',
    dir: join(runtimesDir, 'node-red-5.0.7'),
    node: join(runtimesDir, 'node-red-5.0.7', 'node_modules', `node-linux-${process.arch}`, 'bin', 'node'),
  },
];

function versionOf(dir: string): string {
  return JSON.parse(readFileSync(join(dir, 'node_modules', 'node-red', 'package.json'), 'utf8')).version;
}

describe('the packed tarball, installed as users install it', function () {
  this.timeout(240_000);
  let packDir: string;
  let tarball: string;
  let files: string[];

  before(() => {
    packDir = mkdtempSync(join(tmpdir(), 'mcb-pack-'));
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    tarball = join(packDir, packed.filename);
    files = packed.files.map((f: { path: string }) => f.path);
  });
  after(() => rmSync(packDir, { recursive: true, force: true }));

  it('holds what Node-RED needs and nothing else: nodes, examples, README, LICENSE, CHANGELOG', () => {
    const stray = files.filter(
      (path) => !/^(nodes|examples)\//.test(path) && !['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(path),
    );
    assert.deepEqual(stray, [], 'no sources, tests, benchmark or docs in the package');
    for (const type of ourTypes)
      for (const file of [`nodes/${type}.js`, `nodes/${type}.html`, `nodes/locales/en-US/${type}.json`]) assert.ok(files.includes(file), file);
    assert.ok(files.includes('examples/Loopback demo.json'));
    assert.ok(files.includes('nodes/icons/multicast.svg'));
  });

  it('runs nothing when installed: no install-time scripts, so npm has none to ask approval for', function () {
    // Scripts npm runs (or, since npm 11.19, asks approval for) when a package is installed or rebuilt. The others
    // (build, test, prepack...) run only in a clone, where build.mjs and the sources are.
    const installTime = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];
    const packed = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.deepEqual(
      Object.keys(packed.scripts ?? {}).filter((name) => installTime.includes(name)),
      [],
      'build.mjs is not in the package, and nodes/ is built before packing (prepack)',
    );
    assert.ok(!files.includes('binding.gyp'), 'no binding.gyp, for which npm would run node-gyp on install');

    // As the palette manager installs it, into a user directory of its own: npm says nothing about scripts.
    const userDir = mkdtempSync(join(tmpdir(), 'mcb-palette-'));
    try {
      writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'palette-user-dir', private: true }));
      const installed = spawnSync(
        'npm',
        ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict', tarball],
        { cwd: userDir, encoding: 'utf8' },
      );
      assert.equal(installed.status, 0, installed.stderr);
      assert.doesNotMatch(installed.stdout + installed.stderr, /script/i, 'npm warns about no script of the package');
      assert.ok(existsSync(join(userDir, 'node_modules', pkg.name, 'nodes', 'multicast-bus.js')), 'the built nodes are installed');
    } finally {
      rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('claims as its minimum Node-RED and Node.js exactly the oldest ones tested here', function () {
    const oldest = RUNTIMES[1];
    if (!existsSync(join(oldest.dir, 'node_modules', 'node-red', 'package.json'))) return skipWithReason(this, `${oldest.label} is not installed`);
    assert.equal(pkg['node-red'].version, `>=${versionOf(oldest.dir)}`);
    assert.equal(pkg.engines.node, `>=${process.versions.node.split('.')[0]}`, 'the tests run on the oldest Node.js claimed');
  });

  for (const runtime of RUNTIMES) {
    it(`installs from the tarball and runs on ${runtime.label}: three types loaded, an example imported and running`, async function () {
      requirePrivateNetwork(this);
      // As on a host: the loopback interface can carry multicast (a fresh namespace's does not say so).
      ip('link', 'set', 'lo', 'multicast', 'on');
      const redJs = join(runtime.dir, 'node_modules', 'node-red', 'red.js');
      if (!existsSync(redJs) || !existsSync(runtime.node))
        return skipWithReason(this, `${runtime.label} is not installed (npm test installs it from the registry before the tests)`);
      let red: NodeRedProcess | undefined;
      try {
        red = await startNodeRed({ port: nextPort(), tarball, runtime: { node: runtime.node, redJs } });
        const nodeVersion = execFileSync(runtime.node, ['--version'], { encoding: 'utf8' }).trim();
        this.test!.title += ` (Node-RED ${versionOf(runtime.dir)}, Node.js ${nodeVersion})`;

        const sets: { module: string; types: string[]; enabled: boolean; err?: string; version: string }[] = await red.api('/nodes');
        const ours = sets.filter((set) => set.module === pkg.name);
        assert.deepEqual(ours.flatMap((set) => set.types).sort(), ourTypes);
        for (const set of ours) {
          assert.equal(set.err, undefined, `${set.types} loaded without an error`);
          assert.equal(set.enabled, true);
          assert.equal(set.version, pkg.version);
        }

        // Import ▸ Examples, as the editor fetches it, then deploy it.
        const listing = await red.api('/library/examples/flows');
        assert.ok(JSON.stringify(listing).includes(pkg.name), 'our examples are offered');
        const example: { id: string; type: string }[] = await red.api(`/library/examples/flows/${pkg.name}/${encodeURIComponent('Loopback demo')}`);
        await red.api('/flows', { method: 'POST', body: example, headers: { 'Node-RED-Deployment-Type': 'full' } });
        const bus = example.find((node) => node.type === 'multicast-bus')!;
        // The flow starts after the deploy answers: until then the stats route says 404.
        const stats = await until(
          'the example to deliver a message',
          async () => {
            const now = await red!.api(`/multicast-bus/${bus.id}/stats`).catch(() => undefined);
            return now?.messages > 0 ? now : undefined;
          },
          15_000,
        ).catch((error: Error) => assert.fail(`${error.message}\n${red!.output()}`));
        assert.ok(stats.messages > 0, 'the example sends and its multicast-in receives');
        assert.doesNotMatch(red.output(), /\[error\]/, 'nothing logged as an error');
      } finally {
        await red?.stop();
      }
    });
  }
});
