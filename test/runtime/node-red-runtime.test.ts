import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bus, multicastIn, multicastOut } from '../../testnet/flow-nodes';
import { nodeRedPerTest } from '../support/node-red-per-test';
import { nextPort } from '../support/ports';
import { until } from '../support/until';

describe('in a real Node-RED runtime', function () {
  this.timeout(60000);
  const nodeRed = nodeRedPerTest();

  it('loads the three node types with no error and serves their catalogs and help', async () => {
    const red = await nodeRed.start({ port: nextPort() });
    const sets: { id: string; types: string[]; err?: string; enabled: boolean }[] = await red.api('/nodes');
    const ours = sets.filter((set) => set.id.startsWith('node-red-contrib-multicast-bus/'));
    assert.deepEqual(
      ours.map((set) => [set.types, set.err, set.enabled]),
      [
        [['multicast-bus'], undefined, true],
        [['multicast-in'], undefined, true],
        [['multicast-out'], undefined, true],
      ],
    );
    const catalog = await red.api('/locales/node-red-contrib-multicast-bus/multicast-bus?lng=en-US');
    assert.match(catalog['multicast-bus'].problems['iface-missing'], /__iface__ not found/);
    const editor = await fetch(`${red.url}/nodes`, { headers: { accept: 'text/html' } }).then((r) => r.text());
    for (const type of ['multicast-bus', 'multicast-in', 'multicast-out']) {
      assert.match(editor, new RegExp(`RED\\.nodes\\.registerType\\("${type}"`));
      assert.match(editor, new RegExp(`data-help-name="${type}"`));
    }
  });

  it('runs a flow deployed through the admin API: inject to multicast-out, multicast-in to a file', async () => {
    const red = await nodeRed.start({ port: nextPort() });
    const file = join(red.userDir, 'heard.txt');
    const flows = [
      { id: 't1', type: 'tab', label: 'deployed' },
      bus({ id: 'bus1', port: nextPort() }),
      {
        id: 'n-inject',
        type: 'inject',
        z: 't1',
        props: [{ p: 'payload' }],
        payload: 'hello',
        payloadType: 'str',
        repeat: '0.2',
        once: true,
        onceDelay: '0.5',
        wires: [['n-out']],
      },
      multicastOut('bus1', { id: 'n-out', z: 't1' }),
      multicastIn('bus1', 'n-format', { id: 'n-in', z: 't1', topic: 't', datatype: 'utf8' }),
      {
        id: 'n-format',
        type: 'template',
        z: 't1',
        field: 'payload',
        fieldType: 'msg',
        format: 'text',
        syntax: 'mustache',
        template: '{{payload}} from {{ip}} on {{group}}',
        output: 'str',
        wires: [['n-file']],
      },
      {
        id: 'n-file',
        type: 'file',
        z: 't1',
        filename: file,
        filenameType: 'str',
        appendNewline: true,
        createDir: false,
        overwriteFile: 'false',
        encoding: 'utf8',
        wires: [],
      },
    ];
    await red.api('/flows', { method: 'POST', body: flows, headers: { 'Node-RED-Deployment-Type': 'full' } });
    const lines = await until('the file to get two lines', () => {
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const got = text.split('\n').filter(Boolean);
      return got.length >= 2 ? got : undefined;
    });
    assert.equal(lines[0], 'hello from 127.0.0.1 on 239.255.76.67');
  });

  it('logs a misconfigured bus in words that say how to fix it, and keeps running', async () => {
    const red = await nodeRed.start({ port: nextPort() });
    const flows = [
      { id: 't1', type: 'tab', label: 'broken' },
      bus({ id: 'bus1', group: '10.1.2.3', ttl: '1', iface: '' }),
      multicastIn('bus1', 'nowhere', { id: 'n-in', z: 't1' }),
      bus({ id: 'bus2', iface: 'eth9' }),
      multicastIn('bus2', 'nowhere', { id: 'n-in2', z: 't1' }),
    ];
    await red.api('/flows', { method: 'POST', body: flows, headers: { 'Node-RED-Deployment-Type': 'full' } });
    await until('the config error in the log', () => red.output().includes('10.1.2.3 is not a multicast group — use 224.0.0.0'));
    await until('the missing interface in the log', () => red.output().includes('interface eth9 not found — pick one of: lo'));
    assert.ok(Array.isArray(await red.api('/flows')), 'the admin API still answers');
  });
});
