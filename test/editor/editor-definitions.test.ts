import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { BUS_FIELDS } from '../../src/core/bus-fields';
import { DEFAULT_SETTINGS } from '../../src/core/bus-settings';

const nodesDir = join(__dirname, '..', '..', 'nodes');

/** Runs a built .html's editor script against a stand-in RED and returns what it registered. */
function editorDefinition(type: string): any {
  const html = readFileSync(join(nodesDir, `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.match(script, new RegExp(`RED\\.nodes\\.registerType\\("${type}", \\{`), 'a literal registerType the flow library can read');
  const registered: Record<string, any> = {};
  const RED = { nodes: { registerType: (name: string, def: unknown) => (registered[name] = def) }, _: (key: string) => `«${key}»` };
  // Validators that look at another field read the dialog through jQuery; with no dialog open they use the node's value.
  runInNewContext(script, { RED, $: () => ({ val: () => undefined }) });
  assert.ok(registered[type], `${type} registered`);
  return registered[type];
}

describe('editor definitions as built into nodes/*.html', () => {
  it('multicast-bus is a config node whose fields explain what is wrong', () => {
    const def = editorDefinition('multicast-bus');
    assert.equal(def.category, 'config');
    assert.deepEqual(
      JSON.parse(JSON.stringify(def.credentials)),
      { key: { type: 'password' }, previousKey: { type: 'password' } },
      'keys stay out of the flow file',
    );
    const { group, port, ttl, maxDatagram } = def.defaults;
    assert.equal(maxDatagram.validate.call({ group: '239.255.76.67' }, '65507'), true);
    assert.equal(
      maxDatagram.validate.call({ group: '239.255.76.67' }, '65508'),
      '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.maxDatagram»',
      'what the runtime refuses for IPv4',
    );
    assert.equal(maxDatagram.validate.call({ group: 'ff15::1234' }, '65527'), true);
    assert.equal(
      maxDatagram.validate.call({ group: 'ff15::1234' }, '159'),
      '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.maxDatagram»',
    );
    assert.equal(group.validate('239.255.76.67'), true);
    assert.equal(group.validate('ff15::1234'), true);
    assert.equal(group.validate('192.168.1.10'), '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.group»');
    assert.equal(port.validate('7667'), true);
    assert.equal(port.validate('70000'), '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.port»');
    assert.equal(ttl.validate('0'), true);
    assert.equal(ttl.validate('256'), '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.ttl»');
    assert.deepEqual(Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value])), {
      name: '',
      ...DEFAULT_SETTINGS,
    });
  });

  it('labels a bus as group:port · interface, IPv6 groups in brackets', () => {
    const { label } = editorDefinition('multicast-bus');
    assert.equal(label.call({ group: '239.255.76.67', port: 7667, iface: 'eth0' }), '239.255.76.67:7667 · eth0');
    assert.equal(label.call({ group: 'ff15::1', port: 7667, iface: '' }), '[ff15::1]:7667');
    assert.equal(label.call({ name: 'sensors', group: 'ff15::1', port: 7667 }), 'sensors');
  });

  it('multicast-in and multicast-out sit in the network category and show their topic', () => {
    for (const type of ['multicast-in', 'multicast-out']) {
      const def = editorDefinition(type);
      assert.equal(def.category, 'network');
      assert.equal(def.defaults.bus.type, 'multicast-bus');
      assert.equal(def.label.call({ topic: 'sensors/+/temp' }), 'sensors/+/temp');
      assert.equal(def.icon, 'multicast.svg');
    }
  });

  it('every dialog field has a label in the message catalog', () => {
    for (const type of ['multicast-bus', 'multicast-in', 'multicast-out']) {
      const html = readFileSync(join(nodesDir, `${type}.html`), 'utf8');
      const catalog = JSON.parse(readFileSync(join(nodesDir, 'locales', 'en-US', `${type}.json`), 'utf8'));
      for (const [, key] of html.matchAll(/data-i18n="(?:\[placeholder\])?([^"]+)"/g)) {
        if (key.startsWith('node-red:')) continue;
        const text = key.split('.').reduce((at: any, part) => at?.[part], catalog);
        assert.equal(typeof text, 'string', `${type}: ${key}`);
      }
    }
  });

  it('the built dialog, help and messages state the defaults and ranges the runtime enforces (bus-fields.ts)', () => {
    const dialog = readFileSync(join(nodesDir, 'multicast-bus.html'), 'utf8');
    const help = readFileSync(join(nodesDir, 'locales', 'en-US', 'multicast-bus.html'), 'utf8');
    const messages = readFileSync(join(nodesDir, 'locales', 'en-US', 'multicast-bus.json'), 'utf8');
    for (const field of ['group', 'port', 'ttl', 'rejoin', 'maxDatagram', 'maxMessage', 'rcvbuf', 'replayWindow'] as const) {
      assert.match(dialog, new RegExp(`id="node-config-input-${field}" placeholder="${BUS_FIELDS[field].default}"`), `${field} placeholder`);
    }
    for (const field of ['port', 'ttl', 'maxDatagram', 'replayWindow'] as const) {
      assert.ok(help.includes(`${BUS_FIELDS[field].min}–${BUS_FIELDS[field].max}`), `help gives the range of ${field}`);
    }
    const validation = JSON.parse(messages)['multicast-bus'].validation;
    for (const field of ['port', 'ttl', 'maxDatagram', 'maxMessage', 'rejoin', 'replayWindow'] as const) {
      assert.ok(validation[field].includes(`from ${BUS_FIELDS[field].min} to ${BUS_FIELDS[field].max}`), `${field}: ${validation[field]}`);
    }
    assert.doesNotMatch(dialog + help + messages, /\{\{/, 'every token filled');
  });

  it('declares every validator with two parameters, so Node-RED shows its message instead of reading it as valid', () => {
    for (const type of ['multicast-bus', 'multicast-in', 'multicast-out']) {
      for (const [field, spec] of Object.entries(editorDefinition(type).defaults) as [string, { validate?: (...args: unknown[]) => unknown }][]) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${type}.${field}`);
      }
    }
  });
});
