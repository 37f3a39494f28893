// `npm start`: a local Node-RED on 127.0.0.1:1880 with this package installed the way a user installs it
// (linked into the user directory's node_modules) and the loopback demo flow deployed. Its bus is pinned to `lo`
// with TTL 0, so no multicast leaves this machine.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const userDir = join(root, '.demo');
const port = process.env.PORT ?? '1880';

// Built every time (about a second), so the demo never runs an older build than the sources.
const built = spawnSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

mkdirSync(join(userDir, 'node_modules'), { recursive: true });
writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: 'multicast-bus-demo', private: true }, null, 2));
const link = join(userDir, 'node_modules', 'node-red-contrib-multicast-bus');
if (!existsSync(link)) symlinkSync(root, link, 'dir');
copyFileSync(join(root, 'examples', 'Loopback demo.json'), join(userDir, 'flows.json'));
writeFileSync(
  join(userDir, 'settings.js'),
  `module.exports = { uiHost: '127.0.0.1', uiPort: ${Number(port)}, flowFile: 'flows.json', credentialSecret: false, ` +
    `editorTheme: { tours: false }, telemetry: { enabled: false }, logging: { console: { level: 'info' } } };\n`,
);

const redJs = createRequire(import.meta.url).resolve('node-red/red.js');
const child = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
