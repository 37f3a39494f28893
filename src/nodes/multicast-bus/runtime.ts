import type { NodeAPI, NodeDef } from 'node-red';
import { deriveBusKey, keyTextProblem } from '../../core/bus-key';
import { parseBusSettings } from '../../core/bus-settings';
import { listInterfaces } from '../../core/interface-resolver';
import { MulticastBus } from '../../core/multicast-bus';
import { probeBus } from '../../core/bus-probe';
import type { Problem } from '../../core/problem';
import { problemWords } from '../bus-client/problem-words';
import { DirectoryFeed } from './directory-feed';
import { busNodeOf, type BusCredentials, type MulticastBusNode } from './multicast-bus-node';

interface MulticastBusDef extends NodeDef {
  group: string;
  port: string | number;
  ttl: string | number;
  iface: string;
  loopback: boolean;
  framing: string;
  maxDatagram: string | number;
  maxMessage: string | number;
  rcvbuf: string | number;
  source: string;
  rejoin: string | number;
  security: string;
  replayWindow: string | number;
}

export = function registerMulticastBus(RED: NodeAPI): void {
  const words = problemWords(RED, 'multicast-bus', 'problems');
  const describe = words.full;
  const describeAll = (problems: Problem[]) => problems.map(describe).join('; ');
  const feed = new DirectoryFeed(RED);
  const briefAll = (problems: Problem[]) => {
    const [first, ...more] = problems;
    if (!first) return '';
    const brief = words.brief(first);
    return more.length === 0 ? brief : RED._('multicast-bus.status.more', { first: brief, count: more.length });
  };

  function MulticastBusConfig(this: MulticastBusNode, config: MulticastBusDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const lastReported: Record<'receive' | 'send', string> = { receive: '', send: '' };

    node.describe = describe;
    node.brief = words.brief;
    node.briefAll = briefAll;
    node.describeAll = describeAll;
    node.report = (side, state) => {
      const key = state.problem ? JSON.stringify(state.problem) : '';
      if (key === lastReported[side]) return;
      lastReported[side] = key;
      if (state.problem) node.warn(node.describe(state.problem));
    };

    const parsed = parseBusSettings(config);
    // Node-RED leaves credentials undefined on a node that never had any.
    const credentials: BusCredentials = node.credentials ?? {};
    const problems = 'problems' in parsed ? parsed.problems : [];
    const sealed = 'settings' in parsed && parsed.settings.security === 'sealed';
    if (sealed) {
      const keyProblem = keyTextProblem(credentials.key ?? '');
      if (keyProblem) problems.push({ code: keyProblem });
      const previousProblem = credentials.previousKey?.trim() ? keyTextProblem(credentials.previousKey) : undefined;
      if (previousProblem) problems.push({ code: 'previous-key-too-short' });
    }
    node.configProblems = problems;
    if (problems.length > 0 || !('settings' in parsed)) {
      node.error(describeAll(problems));
    } else {
      const keys = sealed
        ? Promise.all([
            deriveBusKey(credentials.key ?? ''),
            credentials.previousKey?.trim() ? deriveBusKey(credentials.previousKey) : undefined,
          ]).then(([current, previous]) => ({ current, previous }))
        : undefined;
      // Announcements name the Node-RED (by its editor's port: several may run on one host) and the bus.
      const identity = { instance: `Node-RED :${RED.settings.uiPort ?? 1880}`, bus: config.name ?? '' };
      node.bus = new MulticastBus(parsed.settings, { keys, warn: (problem) => node.warn(node.describe(problem)), identity });
    }
    feed.add(node);

    node.on('close', (_removed: boolean, done: () => void) => {
      feed.remove(node);
      const bus = node.bus;
      if (!bus) return done();
      bus.close().then(done, done);
    });
  }

  // The key lives in the credentials, never in the flow file.
  RED.nodes.registerType<MulticastBusNode, MulticastBusDef, unknown, BusCredentials>('multicast-bus', MulticastBusConfig, {
    credentials: { key: { type: 'password' }, previousKey: { type: 'password' } },
  });

  RED.httpAdmin.get('/multicast-bus/interfaces', RED.auth.needsPermission('multicast-bus.read'), (_req, res) => {
    res.json(listInterfaces());
  });

  // The editor's Test button: tries unsaved settings on this host and says, step by step, what worked.
  RED.httpAdmin.post('/multicast-bus/test', RED.auth.needsPermission('multicast-bus.write'), (req, res) => {
    let parsed: ReturnType<typeof parseBusSettings>;
    try {
      parsed = parseBusSettings(typeof req.body === 'object' && req.body !== null ? req.body : {});
    } catch (error) {
      res.status(400).json({ ok: false, steps: [{ step: 'settings', ok: false, text: String(error) }] });
      return;
    }
    if ('problems' in parsed) {
      res.json({ ok: false, steps: parsed.problems.map((problem) => ({ step: 'settings', ok: false, text: describe(problem) })) });
      return;
    }
    probeBus(parsed.settings).then(
      (steps) =>
        res.json({
          ok: steps.every((step) => step.ok),
          steps: steps.map(({ step, ok, problem, detail }) => ({
            step,
            ok,
            text:
              problem && !ok
                ? describe(problem)
                : RED._(`multicast-bus.probe.${step}`, {
                    group: parsed.settings.group,
                    port: parsed.settings.port,
                    ...detail,
                    ...(detail?.reason ? { reason: RED._(`multicast-bus.probe.unsent-${detail.reason}`) } : {}),
                  }),
          })),
        }),
      (error: unknown) => res.status(500).json({ ok: false, steps: [{ step: 'probe', ok: false, text: String(error) }] }),
    );
  });

  // Every deployed bus's directory: once now, and then through comms every second while the editor watches.
  RED.httpAdmin.post('/multicast-bus/directory/watch', RED.auth.needsPermission('multicast-bus.read'), (_req, res) => {
    feed.watched();
    res.json(feed.snapshot());
  });

  /** The running bus of the deployed config node `id`, or undefined once the answer (404, 409) is sent. */
  const runningBus = (id: string, res: { status(code: number): { json(body: unknown): void } }) => {
    const node = busNodeOf(RED, id);
    if (!node) res.status(404).json({ error: `no deployed multicast-bus with id ${id}` });
    else if (!node.bus) res.status(409).json({ error: node.describeAll(node.configProblems) });
    return node?.bus;
  };

  RED.httpAdmin.get('/multicast-bus/:id/stats', RED.auth.needsPermission('multicast-bus.read'), (req, res) => {
    const bus = runningBus(String(req.params.id), res);
    if (bus) res.json(bus.stats());
  });

  RED.httpAdmin.get('/multicast-bus/:id/directory', RED.auth.needsPermission('multicast-bus.read'), (req, res) => {
    const bus = runningBus(String(req.params.id), res);
    if (bus) res.json(bus.directory());
  });

  // The editor asks to see a topic's last payload (as lcm-spy decodes on request): kept for a minute from now.
  RED.httpAdmin.post('/multicast-bus/:id/watch', RED.auth.needsPermission('multicast-bus.read'), (req, res) => {
    const { sender, topic } = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as { sender?: unknown; topic?: unknown };
    if (typeof sender !== 'string' || typeof topic !== 'string') {
      res.status(400).json({ error: 'give the sender (its id in the directory) and the topic, as JSON: {"sender": "...", "topic": "..."}' });
      return;
    }
    const bus = runningBus(String(req.params.id), res);
    if (!bus) return;
    bus.watchTopic(sender, topic);
    res.status(204).end();
  });
};
