import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFreshBuild } from '../../testnet/fresh-build';

// What the editor shows, as built into nodes/: the dialog in nodes/<type>.html, the help and the message catalog in
// nodes/locales/en-US/. A help entry names the property it describes with data-property="<property>".
const nodesDir = join(__dirname, '..', '..', 'nodes');
const types = ['multicast-bus', 'multicast-in', 'multicast-out'];
const editorCatalog = JSON.parse(
  readFileSync(require.resolve('@node-red/editor-client/locales/en-US/editor.json', { paths: [require.resolve('node-red')] }), 'utf8'),
);

const lookUp = (catalog: unknown, key: string): unknown => key.split('.').reduce((at: any, part) => at?.[part], catalog);
const plainText = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();

interface DialogProperty {
  property: string;
  /** The label the dialog shows for it: the <label for> of its input, else the nearest label before it. */
  label?: string;
}

/** The properties a node's dialog edits, in document order, from the ids Node-RED binds: node-input-<p>, node-config-input-<p>. */
function dialogProperties(type: string): DialogProperty[] {
  const html = readFileSync(join(nodesDir, `${type}.html`), 'utf8');
  const template = new RegExp(`<script type="text/html" data-template-name="${type}">([\\s\\S]*?)</script>`).exec(html)?.[1];
  assert.ok(template, `${type}.html holds the dialog template`);
  const catalog = JSON.parse(readFileSync(join(nodesDir, 'locales', 'en-US', `${type}.json`), 'utf8'));
  const labelText = (inner: string): string | undefined => {
    const key = /data-i18n="([^"]+)"/.exec(inner)?.[1];
    if (!key) return plainText(inner) || undefined;
    const [namespace, path] = key.includes(':') ? key.split(':') : [undefined, key];
    const text = lookUp(namespace === 'node-red' ? editorCatalog : catalog, path);
    assert.equal(typeof text, 'string', `${type}: the label ${key} is in the catalog`);
    return text as string;
  };

  const labels = [...template.matchAll(/<label\b([^>]*)>([\s\S]*?)<\/label>/g)].map((m) => ({
    at: m.index,
    for: /\bfor="([^"]+)"/.exec(m[1])?.[1],
    text: labelText(m[2]),
  }));
  const properties: DialogProperty[] = [];
  for (const m of template.matchAll(/\bid="node-(?:config-)?input-([A-Za-z0-9_]+)"/g)) {
    const id = `node-${m[0].includes('config-') ? 'config-' : ''}input-${m[1]}`;
    const label = labels.find((l) => l.for === id) ?? labels.filter((l) => l.at < m.index).at(-1);
    properties.push({ property: m[1], label: label?.text });
  }
  return properties;
}

interface HelpProperty {
  property: string;
  /** The entry's name as the help shows it, without its type. */
  name: string;
}

function helpOf(type: string): string {
  return readFileSync(join(nodesDir, 'locales', 'en-US', `${type}.html`), 'utf8');
}

/** The properties a node's help describes, in order: its <dt data-property="…"> entries. */
function helpProperties(type: string): HelpProperty[] {
  return [...helpOf(type).matchAll(/<dt\b([^>]*)>([\s\S]*?)<\/dt>/g)].flatMap((m) => {
    const property = /\bdata-property="([^"]+)"/.exec(m[1])?.[1];
    return property ? [{ property, name: plainText(m[2].replace(/<span class="property-type">[\s\S]*?<\/span>/, '')) }] : [];
  });
}

/** The palette tooltip: Node-RED shows the help's first paragraph. */
function tooltipOf(type: string): string {
  const body = /<script type="text\/html" data-help-name="[^"]+">([\s\S]*?)<\/script>/.exec(helpOf(type))![1].trim();
  assert.match(body, /^<p>/, `${type}: the help starts with the paragraph the palette shows`);
  return plainText(/^<p>([\s\S]*?)<\/p>/.exec(body)![1]);
}

describe('node help as built into nodes/locales/en-US', () => {
  before(() => assertFreshBuild());

  for (const type of types) {
    it(`${type}: describes every property of its dialog, in the dialog's order, by the dialog's label`, () => {
      const dialog = dialogProperties(type);
      const help = helpProperties(type);
      assert.ok(dialog.length > 0, `${type}: the dialog has inputs`);
      assert.equal(new Set(help.map((h) => h.property)).size, help.length, `${type}: each property described once`);
      // Like Node-RED's core help, a help may leave out Name; if it describes it, it must be in its place too.
      const described = help.some((h) => h.property === 'name') ? dialog : dialog.filter((d) => d.property !== 'name');
      assert.deepEqual(
        help.map((h) => h.property),
        described.map((d) => d.property),
        `${type}: help properties (actual) against the dialog's inputs (expected)`,
      );
      for (const [i, entry] of help.entries()) {
        const label = described[i].label;
        if (label) assert.equal(entry.name, label, `${type}: the help names ${entry.property} as the dialog labels it`);
      }
    });
  }

  it('multicast in: the palette tooltip says it receives the topics its filter matches, not every message', () => {
    const tooltip = tooltipOf('multicast-in');
    assert.match(tooltip, /topic/i);
    assert.match(tooltip, /filter/i);
    assert.doesNotMatch(tooltip, /every message/i);
  });

  it('multicast out: the first lines say which topic is used: the Topic, else msg.topic, else "messages"', () => {
    const tooltip = tooltipOf('multicast-out');
    assert.match(tooltip, /Topic\b.*msg\.topic.*\bmessages\b/);
    const body = helpOf('multicast-out');
    assert.ok(body.indexOf('raw framing') < body.indexOf('<h3>'), 'raw framing sending no topic is said before the first section');
  });

  it('says "topic" where LCM would say channel: no "LCM channel" in any help', () => {
    for (const type of types) assert.doesNotMatch(helpOf(type), /LCM channel/i, type);
  });
});
