// Builds what Node-RED loads into nodes/: per node type a CommonJS runtime (.js), an editor page (.html: the dialog
// template plus an unminified IIFE that calls RED.nodes.registerType literally), and its locale files.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';

const NODE_TYPES = ['multicast-bus', 'multicast-in', 'multicast-out'];
const out = 'nodes';

await rm(out, { recursive: true, force: true });
await mkdir(`${out}/locales/en-US`, { recursive: true });

for (const type of NODE_TYPES) {
  const dir = `src/nodes/${type}`;
  await build({
    entryPoints: [`${dir}/runtime.ts`],
    outfile: `${out}/${type}.js`,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['node-red'],
    logLevel: 'warning',
  });
  const editor = await build({
    entryPoints: [`${dir}/editor.ts`],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    write: false,
    logLevel: 'warning',
  });
  const template = await readFile(`${dir}/template.html`, 'utf8');
  await writeFile(
    `${out}/${type}.html`,
    `<script type="text/javascript">\n${editor.outputFiles[0].text}</script>\n\n` +
      `<script type="text/html" data-template-name="${type}">\n${template}</script>\n`,
  );
  await cp(`${dir}/locales/en-US/messages.json`, `${out}/locales/en-US/${type}.json`);
  await cp(`${dir}/locales/en-US/help.html`, `${out}/locales/en-US/${type}.html`);
}
await cp('src/icons', `${out}/icons`, { recursive: true });
