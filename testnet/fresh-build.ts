import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '..');

/** Every file under `dir`, with its modification time. */
function files(dir: string): { path: string; mtimeMs: number }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path);
    return entry.isFile() ? [{ path, mtimeMs: statSync(path).mtimeMs }] : [];
  });
}

/**
 * Throws unless nodes/ (what Node-RED loads: the tests load it too) was built after the last change under src/, to
 * build.mjs and to package.json (where build.mjs reads the node types), so no test passes or fails on an old build. `npm test` and `npm run test:unit` build first.
 */
export function assertFreshBuild(): void {
  const built = join(root, 'nodes');
  const howTo = 'run `npm run build` (node build.mjs) first';
  const outputs = existsSync(built) ? files(built) : [];
  if (outputs.length === 0) throw new Error(`nodes/ is not built: ${howTo}`);
  // build.mjs empties nodes/ and writes every file again, so its oldest file is when the last build began.
  const output = Math.min(...outputs.map((file) => file.mtimeMs));
  const single = (name: string) => ({ path: join(root, name), mtimeMs: statSync(join(root, name)).mtimeMs });
  const inputs = [...files(join(root, 'src')), single('build.mjs'), single('package.json')];
  const newer = inputs
    .filter((file) => file.mtimeMs > output)
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .map((file) => relative(root, file.path));
  if (newer.length > 0) throw new Error(`nodes/ is older than ${newer.slice(0, 5).join(', ')}${newer.length > 5 ? ', …' : ''}: ${howTo}`);
}
