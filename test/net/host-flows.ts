/**
 * Flows for Node-RED runtimes on test hosts, deployed through the admin API: a bus, an http endpoint that sends
 * what is posted to it, and multicast-in nodes whose messages and status changes are written to files as JSON lines.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Flow = Record<string, unknown>[];

export function busNode(id: string, fields: Record<string, unknown>) {
  return {
    id,
    type: 'multicast-bus',
    group: '239.255.76.67',
    port: '7667',
    ttl: '1',
    iface: 'lan0',
    loopback: true,
    framing: 'lcm',
    maxDatagram: '1400',
    maxMessage: '16777216',
    rcvbuf: '8388608',
    source: '',
    rejoin: '0',
    ...fields,
  };
}

/** POST /send/<name> with a JSON body {topic, payload} sends it through a multicast-out on the bus. */
export function sender(name: string, busId: string): Flow {
  return [
    { id: `${name}-http`, type: 'http in', z: 'tab', url: `/send/${name}`, method: 'post', upload: false, wires: [[`${name}-unwrap`, `${name}-reply`]] },
    {
      id: `${name}-unwrap`,
      type: 'change',
      z: 'tab',
      rules: [
        { t: 'set', p: 'topic', pt: 'msg', to: 'payload.topic', tot: 'msg' },
        { t: 'set', p: 'payload', pt: 'msg', to: 'payload.payload', tot: 'msg' },
      ],
      wires: [[`${name}-out`]],
    },
    { id: `${name}-out`, type: 'multicast-out', z: 'tab', bus: busId, topic: '', wires: [] },
    { id: `${name}-reply`, type: 'http response', z: 'tab', statusCode: '204', headers: {}, wires: [] },
  ];
}

/** A multicast-in whose messages go to <dir>/<name>.jsonl and whose status changes to <dir>/<name>.status.jsonl. */
export function listener(name: string, busId: string, dir: string, fields: Record<string, unknown> = {}): Flow {
  return [
    { id: `${name}-in`, type: 'multicast-in', z: 'tab', bus: busId, topic: '', datatype: 'auto', wires: [[`${name}-shape`]], ...fields },
    {
      id: `${name}-shape`,
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"topic": topic, "ip": ip, "payload": payload, "multicast": multicast}', tot: 'jsonata' }],
      wires: [[`${name}-file`]],
    },
    fileNode(`${name}-file`, join(dir, `${name}.jsonl`)),
    { id: `${name}-status`, type: 'status', z: 'tab', scope: [`${name}-in`], wires: [[`${name}-status-shape`]] },
    {
      id: `${name}-status-shape`,
      type: 'change',
      z: 'tab',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status', tot: 'msg' }],
      wires: [[`${name}-status-file`]],
    },
    fileNode(`${name}-status-file`, join(dir, `${name}.status.jsonl`)),
  ];
}

function fileNode(id: string, filename: string) {
  return { id, type: 'file', z: 'tab', filename, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'utf8', wires: [] };
}

export const tab = { id: 'tab', type: 'tab', label: 'test' };

/** Every JSON line written so far to <dir>/<name>.jsonl (or .status.jsonl). */
export function lines(dir: string, file: string): any[] {
  const path = join(dir, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
