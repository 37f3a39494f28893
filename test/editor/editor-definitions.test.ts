import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { BUS_FIELDS, fieldText, type NumericField } from '../../src/core/bus-fields';
import { DEFAULT_SETTINGS } from '../../src/core/bus-settings';

const nodesDir = join(__dirname, '..', '..', 'nodes');

/** Runs a built .html's editor script against a stand-in RED and returns what it registered. */
function editorDefinition(type: string): any {
  const html = readFileSync(join(nodesDir, `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.match(script, new RegExp(`RED\\.nodes\\.registerType\\("${type}", \\{`), 'a literal registerType the flow library can read');
  const registered: Record<string, any> = {};
  // One bus of each framing, for the validators of multicast in and out that depend on it.
  const buses: Record<string, unknown> = { lcmBus: { framing: 'lcm' }, rawBus: { framing: 'raw' } };
  const RED = {
    nodes: { registerType: (name: string, def: unknown) => (registered[name] = def), node: (id: string) => buses[id] ?? null },
    _: (key: string) => `«${key}»`,
  };
  // Validators that look at another field read the dialog through jQuery; with no dialog open they use the node's value.
  runInNewContext(script, { RED, TextEncoder, URL, $: () => ({ val: () => undefined, data: () => undefined }) });
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
      maxMessage: '16 MiB',
      rcvbuf: '8 MiB',
    });
    assert.equal(def.defaults.rejoin.validate(''), true, 'empty is the default, as at runtime');
    assert.equal(def.defaults.maxMessage.validate('512 KiB'), true);
    assert.equal(def.defaults.maxMessage.validate('2 GiB'), '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.maxMessage»');
    assert.equal(
      def.defaults.security.validate.call({ credentials: {} }, 'sealed'),
      '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.key-missing»',
    );
    assert.equal(def.defaults.security.validate.call({ credentials: { has_key: true } }, 'sealed'), true, 'a key the runtime holds');
    assert.equal(def.defaults.security.validate.call({}, 'sealed'), true, 'credentials the editor was never sent (after a reload)');
    assert.equal(def.defaults.group.validate(''), true, 'empty is the default');
    assert.equal(def.defaults.iface.validate('fe80::1%eth0'), true);
    assert.equal(
      def.defaults.iface.validate('a:b'),
      '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.iface»',
      'what isIP refuses',
    );
    assert.equal(
      def.defaults.security.validate.call({ credentials: { key: 'short' } }, 'sealed'),
      '«node-red-contrib-multicast-bus/multicast-bus:multicast-bus.validation.key-too-short»',
    );
  });

  it('labels a bus by its name, else as group:port, IPv6 groups in brackets', () => {
    const { label } = editorDefinition('multicast-bus');
    assert.equal(label.call({ group: '239.255.76.67', port: 7667, iface: 'eth0' }), '239.255.76.67:7667');
    assert.equal(label.call({ group: 'ff15::1', port: 7667, iface: '' }), '[ff15::1]:7667');
    assert.equal(label.call({ name: 'sensors', group: 'ff15::1', port: 7667 }), 'sensors');
  });

  it('multicast-in and multicast-out sit in the network category and show their topic', () => {
    for (const type of ['multicast-in', 'multicast-out']) {
      const def = editorDefinition(type);
      assert.equal(def.category, 'network');
      assert.equal(def.defaults.bus.type, 'multicast-bus');
      assert.equal(def.label.call({ topic: 'sensors/+/temp' }), 'sensors/+/temp');
      assert.equal(def.icon, `${type}.svg`, 'in and out look different in the palette');
    }
    const { topic } = editorDefinition('multicast-in').defaults;
    assert.equal(
      topic.validate.call({ bus: 'lcmBus' }, 'sensors/#/temp'),
      '«node-red-contrib-multicast-bus/multicast-in:multicast-in.validation.filter-hash»',
    );
    assert.equal(topic.validate.call({ bus: 'rawBus' }, 'sensors/#/temp'), true, 'on a raw bus the topic is only what msg.topic is set to');
    const sent = editorDefinition('multicast-out').defaults.topic;
    assert.equal(
      sent.validate.call({ bus: 'lcmBus' }, 'é'.repeat(32)),
      '«node-red-contrib-multicast-bus/multicast-out:multicast-out.validation.topic-too-long»',
      '64 bytes',
    );
    assert.equal(sent.validate.call({ bus: 'lcmBus' }, 'é'.repeat(31)), true);
  });

  it('every dialog field has a label in the message catalog', () => {
    for (const type of ['multicast-bus', 'multicast-in', 'multicast-out']) {
      const html = readFileSync(join(nodesDir, `${type}.html`), 'utf8');
      const catalog = JSON.parse(readFileSync(join(nodesDir, 'locales', 'en-US', `${type}.json`), 'utf8'));
      for (const [, key] of html.matchAll(/data-i18n="(?:\[\w+\])?([^"]+)"/g)) {
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
      const shown = fieldText(field as NumericField, BUS_FIELDS[field].default as number);
      assert.match(
        dialog,
        new RegExp(`id="node-config-input-${field}" placeholder="${field === 'group' ? BUS_FIELDS.group.default : shown}"`),
        `${field} placeholder`,
      );
    }
    for (const field of ['port', 'ttl', 'maxDatagram', 'replayWindow'] as const) {
      assert.ok(help.includes(`${BUS_FIELDS[field].min}–${BUS_FIELDS[field].max}`), `help gives the range of ${field}`);
    }
    const validation = JSON.parse(messages)['multicast-bus'].validation;
    for (const field of ['port', 'ttl', 'maxDatagram', 'maxMessage', 'rejoin', 'replayWindow'] as const) {
      const { min, max } = BUS_FIELDS[field];
      assert.ok(validation[field].includes(`from ${fieldText(field, min)} to ${fieldText(field, max)}`), `${field}: ${validation[field]}`);
    }
    assert.doesNotMatch(dialog + help + messages, /\{\{/, 'every token filled');
  });

  it('declares every validator with two parameters, so Node-RED shows its message instead of reading it as valid', () => {
    for (const type of ['multicast-bus', 'multicast-in', 'multicast-out']) {
      for (const [field, spec] of Object.entries(editorDefinition(type).defaults) as [string, { validate?: (...args: unknown[]) => unknown }][]) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${type}.${field}`);
      }
      for (const [field, spec] of Object.entries(editorDefinition(type).credentials ?? {}) as [
        string,
        { validate?: (...args: unknown[]) => unknown },
      ][]) {
        if (spec.validate) assert.equal(spec.validate.length, 2, `${type} credential ${field}`);
      }
    }
  });
});
