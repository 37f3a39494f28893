// Run by npm before `npm start` and `npm test` (the prestart and pretest hooks), so that a fresh clone needs no other
// command: when node_modules does not hold what package-lock.json pins, it runs `npm ci`, saying why in one line.
// Otherwise it does nothing, in a few milliseconds.
//
// "What package-lock.json pins" is read from node_modules/.package-lock.json, which npm writes at every install: each
// package of the lock must be installed there at its version (optional ones may be missing: they are for other
// platforms). Contents, not file times, decide: git rewrites package-lock.json when a checkout switches branches and
// back, and a needless `npm ci` would throw away node_modules/.cache (the tarball test's runtimes) too.
//
// Only Node.js's built-ins: nothing else is installed yet. npm's settings pass through the environment, so
// `npm_config_offline=true npm test` installs from npm's cache, as `npm ci --offline` would.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The parsed JSON file, or the reason it cannot be read. */
function readJson(path) {
  try {
    return { json: JSON.parse(readFileSync(join(root, path), 'utf8')) };
  } catch (error) {
    return { problem: error.code === 'ENOENT' ? `${path} is missing` : `${path} cannot be read (${error.message})` };
  }
}

/** Why the dependencies need installing, or undefined when node_modules holds what package-lock.json pins. */
function reasonToInstall() {
  const lock = readJson('package-lock.json');
  if (!lock.json?.packages) {
    process.stderr.write(`${lock.problem ?? 'package-lock.json is not a lockfile of npm 7 or later'}: restore it from git\n`);
    process.exit(1);
  }
  if (!existsSync(join(root, 'node_modules'))) return 'node_modules is missing';
  const installed = readJson('node_modules/.package-lock.json');
  if (!installed.json?.packages) return `${installed.problem ?? "node_modules/.package-lock.json is not npm 7's"} (an install cut short?)`;
  for (const [path, wanted] of Object.entries(lock.json.packages)) {
    if (path === '') continue;
    const name = path.replace(/^.*node_modules\//, '');
    const have = installed.json.packages[path];
    if (!have) {
      if (wanted.optional || wanted.devOptional) continue;
      return `${name} is not installed`;
    }
    if (have.version !== wanted.version) return `${name} ${have.version} is installed, package-lock.json pins ${wanted.version}`;
    if (!existsSync(join(root, path, 'package.json'))) return `${name} is missing from ${path}`;
  }
  return undefined;
}

const reason = reasonToInstall();
if (reason !== undefined) {
  // The npm that runs this hook, when there is one (npm sets npm_execpath for its scripts), else the one on PATH.
  const [command, args] = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  // --include=dev: the tests and the demo need the dev dependencies even where NODE_ENV=production.
  const ci = ['ci', '--include=dev', '--no-audit', '--no-fund'];
  process.stdout.write(`${reason}: installing the dependencies with \`npm ${ci.join(' ')}\`\n`);
  const result = spawnSync(command, [...args, ...ci], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\`npm ${ci.join(' ')}\` failed (see above); without the dependencies nothing here can run\n`);
    process.exit(result.status ?? 1);
  }
}
