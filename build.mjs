// Builds what Node-RED loads into nodes/: per node type a CommonJS runtime (.js), an editor page (.html: the dialog
// template plus an unminified IIFE that calls RED.nodes.registerType literally), and its locale files. The node types
// and the Node.js target come from package.json; {{field.min}}-style tokens in templates, help and messages are
// filled from src/core/bus-fields.ts, the one place the bus's defaults and ranges are written.
import { build } from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

const pkg = JSON.parse(await readFile('package.json', 'utf8'));
const nodeTypes = Object.entries(pkg['node-red'].nodes); // [type, "nodes/<type>.js"]
const nodeMajor = /(\d+)/.exec(pkg.engines.node)?.[1];
if (!nodeMajor) throw new Error(`cannot read a Node.js version from engines.node "${pkg.engines.node}"`);
const out = dirname(nodeTypes[0][1]);

const fields = await build({ entryPoints: ['src/core/bus-fields.ts'], bundle: true, format: 'esm', write: false, logLevel: 'warning' });
const { fieldTokens } = await import(`data:text/javascript,${encodeURIComponent(fields.outputFiles[0].text)}`);
const tokens = fieldTokens();

/** Replaces every {{token}}; a token bus-fields.ts does not know stops the build. */
function fill(text, file) {
  return text.replace(/\{\{([\w.]+)\}\}/g, (_, name) => {
    if (!(name in tokens)) throw new Error(`${file}: unknown token {{${name}}}; known: ${Object.keys(tokens).join(', ')}`);
    return tokens[name];
  });
}

async function copyFilled(from, to) {
  await writeFile(to, fill(await readFile(from, 'utf8'), from));
}

await rm(out, { recursive: true, force: true });
await mkdir(`${out}/locales/en-US`, { recursive: true });

for (const [type, runtimeFile] of nodeTypes) {
  const dir = `src/nodes/${type}`;
  await build({
    entryPoints: [`${dir}/runtime.ts`],
    outfile: runtimeFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${nodeMajor}`,
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
  const template = fill(await readFile(`${dir}/template.html`, 'utf8'), `${dir}/template.html`);
  await writeFile(
    runtimeFile.replace(/\.js$/, '.html'),
    `<script type="text/javascript">\n${editor.outputFiles[0].text}</script>\n\n` +
      `<script type="text/html" data-template-name="${type}">\n${template}</script>\n`,
  );
  await copyFilled(`${dir}/locales/en-US/messages.json`, `${out}/locales/en-US/${type}.json`);
  await copyFilled(`${dir}/locales/en-US/help.html`, `${out}/locales/en-US/${type}.html`);
}
await cp('src/icons', `${out}/icons`, { recursive: true });
