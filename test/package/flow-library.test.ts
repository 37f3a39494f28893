// Offline equivalents of the flow library's checks (node-red-dev validate): package metadata, the node-red section,
// literal registerType calls, example flows that use only core nodes and ours, and few dependencies.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const ourTypes = ['multicast-bus', 'multicast-in', 'multicast-out'];

/** Every node type Node-RED's core nodes register, read from their editor files. */
function coreTypes(): Set<string> {
  const core = join(dirname(require.resolve('@node-red/nodes/package.json', { paths: [require.resolve('node-red')] })), 'core');
  const types = new Set<string>(['tab', 'group', 'junction', 'subflow']);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.html')) {
        for (const [, type] of readFileSync(path, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)) types.add(type);
      }
    }
  };
  walk(core);
  return types;
}

describe('ready for the Node-RED flow library', () => {
  it('has the package metadata the library shows', () => {
    assert.match(pkg.name, /^node-red-contrib-/);
    assert.ok(pkg.keywords.includes('node-red'));
    assert.ok(pkg.description.length > 20);
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(existsSync(join(root, 'LICENSE')));
    assert.ok(existsSync(join(root, 'README.md')));
    assert.match(pkg.version, /^\d+\.\d+\.\d+/);
    assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\/.+\.git$/);
    assert.match(pkg.bugs.url, /^https:\/\/github\.com\/.+\/issues$/);
    assert.match(
      readFileSync(join(root, 'CHANGELOG.md'), 'utf8'),
      new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')} - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
      'the CHANGELOG has this version',
    );
  });

  it('declares every node file in the node-red section, with a minimum Node-RED version', () => {
    assert.match(pkg['node-red'].version, /^>=\d/);
    assert.deepEqual(Object.keys(pkg['node-red'].nodes), ourTypes);
    for (const file of Object.values<string>(pkg['node-red'].nodes)) {
      assert.ok(existsSync(join(root, file)), `${file} is built`);
      assert.ok(existsSync(join(root, file.replace(/\.js$/, '.html'))));
    }
    assert.ok(pkg.files.includes('nodes/') && pkg.files.includes('examples/'));
  });

  it('calls RED.nodes.registerType literally in each .html, so the library can read the types', () => {
    for (const type of ourTypes) {
      const html = readFileSync(join(root, 'nodes', `${type}.html`), 'utf8');
      assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\(\\s*["']${type}["']`));
      assert.ok(existsSync(join(root, 'nodes', 'locales', 'en-US', `${type}.html`)), 'help text');
    }
  });

  it('uses in its examples only core node types and its own', () => {
    const allowed = new Set([...coreTypes(), ...ourTypes]);
    const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(examples.length >= 5);
    for (const file of examples) {
      const flow: { type: string }[] = JSON.parse(readFileSync(join(root, 'examples', file), 'utf8'));
      const foreign = flow.map((n) => n.type).filter((type) => !allowed.has(type));
      assert.deepEqual(foreign, [], file);
      assert.ok(
        flow.some((n) => n.type === 'multicast-in' || n.type === 'multicast-out'),
        `${file} uses our nodes`,
      );
    }
  });

  it('has at most six dependencies (it has none: Node.js dgram, crypto and os do the work)', () => {
    assert.ok(Object.keys(pkg.dependencies ?? {}).length <= 6);
  });
});
