import assert from 'node:assert/strict';
import { BUS_FIELDS, fieldText } from '../../src/core/bus-fields';
import { DEFAULT_SETTINGS, parseBusSettings } from '../../src/core/bus-settings';

function problemCodes(input: Parameters<typeof parseBusSettings>[0]): string[] {
  const result = parseBusSettings(input);
  return 'problems' in result ? result.problems.map((p) => p.code) : [];
}

describe('bus settings', () => {
  it('fills every field from the defaults of bus-fields.ts when the config is empty', () => {
    const { source: _source, ...defaults } = DEFAULT_SETTINGS;
    assert.deepEqual(parseBusSettings({}), { settings: { ...defaults, family: 'IPv4', sources: [] } });
  });

  it('takes every whole-number field from its least to its greatest value and refuses one past either end, naming the range', () => {
    const numeric = ['port', 'ttl', 'maxDatagram', 'maxMessage', 'rcvbuf', 'rejoin', 'replayWindow'] as const;
    for (const field of numeric) {
      const { min, max } = BUS_FIELDS[field];
      assert.deepEqual(problemCodes({ [field]: String(min) }), [], `${field} = ${min}`);
      assert.deepEqual(problemCodes({ [field]: String(max) }), [], `${field} = ${max}`);
      for (const wrong of [min - 1, max + 1]) {
        const parsed = parseBusSettings({ [field]: String(wrong) });
        assert.ok('problems' in parsed, `${field} = ${wrong} refused`);
        assert.deepEqual(parsed.problems[0].params, { value: String(wrong), low: fieldText(field, min), high: fieldText(field, max) }, field);
      }
    }
  });

  it('takes sizes with a binary unit, as the dialog shows them, and names the range in those units', () => {
    const parsed = parseBusSettings({ maxMessage: '512 KiB', rcvbuf: '8 MiB' });
    assert.ok('settings' in parsed);
    assert.equal(parsed.settings.maxMessage, 512 * 1024);
    assert.equal(parsed.settings.rcvbuf, 8 * 1024 * 1024);
    for (const wrong of ['2 GiB', '16 MB', '1.5 bytes', 'lots']) {
      const refused = parseBusSettings({ maxMessage: wrong });
      assert.ok('problems' in refused, wrong);
      assert.deepEqual(refused.problems[0].params, { value: wrong, low: '1 byte', high: '1 GiB' });
    }
  });

  it('takes the string values the editor stores, trimmed', () => {
    const result = parseBusSettings({
      group: ' ff15::1234 ',
      port: '5000',
      ttl: '0',
      iface: 'veth0',
      loopback: false,
      announce: 'false',
      batch: 'true',
      framing: 'raw',
      maxDatagram: '65527',
      maxMessage: '1000',
      rcvbuf: '0',
    });
    assert.deepEqual(result, {
      settings: {
        group: 'ff15::1234',
        family: 'IPv6',
        port: 5000,
        ttl: 0,
        iface: 'veth0',
        loopback: false,
        announce: false,
        batch: true,
        framing: 'raw',
        maxDatagram: 65527,
        maxMessage: 1000,
        rcvbuf: 0,
        sources: [],
        rejoin: 0,
        security: 'none',
        replayWindow: 120,
      },
    });
  });

  it('batches only when told to (flows from before have no batch field)', () => {
    const batches = (input: Record<string, unknown>) => {
      const parsed = parseBusSettings(input);
      return 'settings' in parsed && parsed.settings.batch;
    };
    assert.equal(batches({}), false);
    assert.equal(batches({ batch: true }), true);
    assert.equal(batches({ batch: 'false' }), false);
  });

  it('announces presence unless told not to (flows from before have no announce field)', () => {
    const announces = (input: Record<string, unknown>) => {
      const parsed = parseBusSettings(input);
      return 'settings' in parsed && parsed.settings.announce;
    };
    assert.deepEqual(
      [announces({}), announces({ announce: true }), announces({ announce: false }), announces({ announce: 'false' })],
      [true, true, false, false],
    );
  });

  it('rejects groups that are not multicast, naming the group', () => {
    for (const group of ['192.0.2.1', '240.0.0.1', '223.255.255.255', 'fe80::1', 'not-an-address', '239.1.1']) {
      const result = parseBusSettings({ group });
      assert.ok('problems' in result, group);
      assert.deepEqual(result.problems, [{ code: 'not-multicast', params: { group } }]);
    }
  });

  it('rejects ports and TTLs out of range or not whole numbers', () => {
    for (const port of ['0', '65536', '-1', '80.5', 'http']) assert.deepEqual(problemCodes({ port }), ['bad-port'], port);
    for (const ttl of ['256', '-1', '1.5', 'x']) assert.deepEqual(problemCodes({ ttl }), ['bad-ttl'], ttl);
    assert.deepEqual(problemCodes({ port: '65535', ttl: '255' }), []);
  });

  it('reports every problem at once, so the user fixes them in one go', () => {
    assert.deepEqual(problemCodes({ group: '10.0.0.1', port: '99999', ttl: '300', framing: 'carrier-pigeon' }), [
      'not-multicast',
      'bad-port',
      'bad-ttl',
      'bad-framing',
    ]);
  });

  it('keeps the datagram size within what one datagram of the family can carry', () => {
    assert.deepEqual(problemCodes({ maxDatagram: '65508' }), ['bad-max-datagram']);
    assert.deepEqual(problemCodes({ maxDatagram: '65507' }), []);
    assert.deepEqual(problemCodes({ group: 'ff15::1', maxDatagram: '65527' }), []);
    assert.deepEqual(problemCodes({ maxDatagram: '159' }), ['bad-max-datagram']);
    assert.deepEqual(problemCodes({ maxMessage: '0' }), ['bad-max-message']);
    assert.deepEqual(problemCodes({ rcvbuf: '-1' }), ['bad-rcvbuf']);
  });

  it('takes SSM sources only with a source-specific group of the same family', () => {
    const ssm = parseBusSettings({ group: '232.1.2.3', source: '198.51.100.11, 198.51.100.12' });
    assert.ok('settings' in ssm);
    assert.deepEqual(ssm.settings.sources, ['198.51.100.11', '198.51.100.12']);
    assert.deepEqual(problemCodes({ group: 'ff3e::8000:1', source: '2001:db8::11' }), []);
    assert.deepEqual(problemCodes({ group: '239.1.2.3', source: '198.51.100.11' }), ['ssm-needs-ssm-group']);
    assert.deepEqual(problemCodes({ group: 'ff15::1', source: '2001:db8::11' }), ['ssm-needs-ssm-group']);
    assert.deepEqual(problemCodes({ group: '232.1.2.3', source: 'host.example' }), ['bad-source']);
    assert.deepEqual(problemCodes({ group: '232.1.2.3', source: '2001:db8::11' }), ['source-family']);
  });

  it('accepts * for every interface and a rejoin interval in seconds', () => {
    assert.deepEqual(problemCodes({ iface: '*', rejoin: '60' }), []);
    assert.deepEqual(problemCodes({ rejoin: '3601' }), ['bad-rejoin']);
    assert.deepEqual(problemCodes({ group: 'ff02::1', iface: '*' }), ['zone-needs-iface']);
  });

  it('knows the security choices and the replay time window', () => {
    assert.deepEqual(problemCodes({ security: 'sealed', replayWindow: '300' }), []);
    assert.deepEqual(problemCodes({ security: 'tls' }), ['bad-security']);
    assert.deepEqual(problemCodes({ replayWindow: '0' }), ['bad-replay-window']);
  });

  it('rejects interface text that can be neither a name nor an address', () => {
    assert.deepEqual(problemCodes({ iface: 'eth 0' }), ['bad-iface']);
    assert.deepEqual(problemCodes({ iface: 'a-name-longer-than-15' }), ['bad-iface']);
    assert.deepEqual(problemCodes({ iface: '198.51.100.7' }), []);
    assert.deepEqual(problemCodes({ iface: '2001:db8::7' }), []);
  });

  it('asks for an interface when an IPv6 group is link-scoped', () => {
    assert.deepEqual(problemCodes({ group: 'ff02::1234' }), ['zone-needs-iface']);
    assert.deepEqual(problemCodes({ group: 'ff02::1234', iface: 'veth0' }), []);
  });
});
