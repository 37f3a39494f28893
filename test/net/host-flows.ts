/**
 * Flows for Node-RED runtimes on test hosts, deployed through the admin API (testnet/host-runtimes.ts): a bus, an http
 * endpoint that sends what is posted to it, and multicast-in nodes whose messages and status changes are written to
 * files as JSON lines. Our own nodes come from the one builder, testnet/flow-nodes.ts, with a host's defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bus, type Flow, multicastIn, multicastOut, ON_A_HOST, tab } from '../../testnet/flow-nodes';

export { type Flow, tab };

/** The bus config node `id` of a test host: the builder's defaults with ON_A_HOST (lan0, TTL 1, LCM), then `fields`. */
export function busNode(id: string, fields: Record<string, unknown> = {}) {
  return bus({ id, ...ON_A_HOST, ...fields });
}

/**
 * POST /send/<name> with a JSON body {topic, payload} sends it through a multicast-out on the bus. Given `dir`, the
 * out node's status changes go to <dir>/<name>.status.jsonl, as a listener's do.
 */
export function sender(name: string, busId: string, dir?: string): Flow {
  return [
    {
      id: `${name}-http`,
      type: 'http in',
      z: tab.id,
      url: `/send/${name}`,
      method: 'post',
      upload: false,
      wires: [[`${name}-unwrap`, `${name}-reply`]],
    },
    {
      id: `${name}-unwrap`,
      type: 'change',
      z: tab.id,
      rules: [
        { t: 'set', p: 'topic', pt: 'msg', to: 'payload.topic', tot: 'msg' },
        { t: 'set', p: 'payload', pt: 'msg', to: 'payload.payload', tot: 'msg' },
      ],
      wires: [[`${name}-out`]],
    },
    multicastOut(busId, { id: `${name}-out` }),
    { id: `${name}-reply`, type: 'http response', z: tab.id, statusCode: '204', headers: {}, wires: [] },
    ...(dir === undefined ? [] : statusRecorder(name, `${name}-out`, dir)),
  ];
}

/** An inject that publishes the time on `topic` every `everyS` seconds, from the start, through a multicast out on the bus. */
export function ticker(busId: string, topic: string, everyS: number): Flow {
  return [
    {
      id: 'tick',
      type: 'inject',
      z: tab.id,
      props: [{ p: 'payload' }],
      payload: '',
      payloadType: 'date',
      repeat: String(everyS),
      once: true,
      onceDelay: 0.1,
      wires: [['out']],
    },
    multicastOut(busId, { id: 'out', topic }),
  ];
}

/** A multicast-in whose messages go to <dir>/<name>.jsonl and whose status changes to <dir>/<name>.status.jsonl. */
export function listener(name: string, busId: string, dir: string, fields: Record<string, unknown> = {}): Flow {
  return [
    multicastIn(busId, `${name}-shape`, { id: `${name}-in`, ...fields }),
    {
      id: `${name}-shape`,
      type: 'change',
      z: tab.id,
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"topic": topic, "ip": ip, "payload": payload, "multicast": multicast}', tot: 'jsonata' }],
      wires: [[`${name}-file`]],
    },
    fileNode(`${name}-file`, join(dir, `${name}.jsonl`)),
    ...statusRecorder(name, `${name}-in`, dir),
  ];
}

/** A status node for `nodeId` whose status changes go to <dir>/<name>.status.jsonl. */
function statusRecorder(name: string, nodeId: string, dir: string): Flow {
  return [
    { id: `${name}-status`, type: 'status', z: tab.id, scope: [nodeId], wires: [[`${name}-status-shape`]] },
    {
      id: `${name}-status-shape`,
      type: 'change',
      z: tab.id,
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status', tot: 'msg' }],
      wires: [[`${name}-status-file`]],
    },
    fileNode(`${name}-status-file`, join(dir, `${name}.status.jsonl`)),
  ];
}

/** A core file node that appends each message as one line to `filename`. */
export function fileNode(id: string, filename: string) {
  return {
    id,
    type: 'file',
    z: tab.id,
    filename,
    filenameType: 'str',
    appendNewline: true,
    createDir: true,
    overwriteFile: 'false',
    encoding: 'utf8',
    wires: [],
  };
}

/** Every JSON line written so far to <dir>/<name>.jsonl (or .status.jsonl). */
export function lines(dir: string, file: string): any[] {
  const path = join(dir, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}
