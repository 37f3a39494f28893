import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DATATYPES, decodePayload, type Datatype } from '../../core/payload-decoding';
import { topicFilter, topicFilterProblem } from '../../core/topic-filter';
import type { BusMessage } from '../../core/framing';
import { attachReceiver, unattachedError } from '../bus-client/attach-to-bus';
import { problemWords } from '../bus-client/problem-words';
import { busNodeOf } from '../multicast-bus/multicast-bus-node';
import { Subscriptions } from '../../core/subscriptions';
import { readSubscriptionAction } from './subscription-action';

interface MulticastInDef extends NodeDef {
  bus: string;
  topic: string;
  datatype: string;
  /** Subscriptions set at runtime by msg.action (the node then has an input), instead of the Topic. */
  dynamic?: boolean;
}

export = function registerMulticastIn(RED: NodeAPI): void {
  const words = problemWords(RED, 'multicast-in', 'errors');

  function MulticastIn(this: Node, config: MulticastInDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const datatype: Datatype = (DATATYPES as readonly string[]).includes(config.datatype) ? (config.datatype as Datatype) : 'auto';
    // With raw framing the topic is what to set on msg.topic; with LCM framing it filters channels.
    const topic = (config.topic ?? '').trim();
    const framing = busNodeOf(RED, config.bus)?.bus?.settings.framing;
    const dynamic = config.dynamic === true;
    const filterProblem = framing === 'lcm' && !dynamic ? topicFilterProblem(topic) : undefined;
    if (filterProblem) {
      const problem = { code: `filter-${filterProblem}`, params: { topic } };
      node.status({ fill: 'red', shape: 'ring', text: words.brief(problem) });
      node.error(words.full(problem));
      return;
    }
    const subscriptions = new Subscriptions();
    const matches = dynamic ? (t: string) => subscriptions.matches(t) : topicFilter(topic);

    const listen = (message: BusMessage) => {
      if (message.topic !== undefined && !matches(message.topic)) return;
      const msg: NodeMessage & Record<string, unknown> = {
        topic: message.topic ?? topic,
        payload: undefined,
        ip: message.address,
        port: message.port,
        group: attachment?.bus.settings.group,
      };
      if (message.seq !== undefined) {
        msg.multicast = { sender: `${message.address}:${message.port}`, seq: message.seq, lost: message.lostBefore ?? 0 };
      }
      if (message.retained) msg.retained = true;
      if (message.event) {
        // The bus's own presence event: an object already, whatever the node's output type.
        msg.payload = { ...message.event };
        attachment?.traffic.delivered(0);
        node.send(msg);
        return;
      }
      try {
        msg.payload = decodePayload(message.payload, datatype);
      } catch (error) {
        // Only the json datatype throws; the raw bytes go with the error so a Catch node can still use them.
        msg.payload = message.payload;
        attachment?.traffic.droppedOne(message.lostBefore);
        node.error(words.full({ code: 'not-json', params: { ip: message.address, port: message.port, detail: (error as Error).message } }), msg);
        return;
      }
      attachment?.traffic.delivered(message.lostBefore);
      node.send(msg);
    };
    // On LCM framing the node asks reliable senders, as it starts, for the retained values its filter matches; a
    // dynamic node starts with no subscription, and so without listening.
    const retained = framing === 'lcm' && !dynamic ? topic : undefined;
    // On raw framing messages carry no topic, and the bus hands them to every node whatever its filters.
    const filters = dynamic ? () => subscriptions.list() : () => [topic];
    const attachment = attachReceiver(RED, node, config.bus, listen, filters, retained, !dynamic);
    const unsubscribed = RED._('multicast-in.status.unsubscribed');
    if (dynamic) void attachment?.listening(false, unsubscribed);

    node.on('input', (msg, send, done) => {
      const fail = (error: string) => (done as (err?: string) => void)(error);
      if (!dynamic) return done();
      const asked = readSubscriptionAction(msg as { action?: unknown; topic?: unknown }, framing);
      if ('problem' in asked) return fail(words.full(asked.problem));
      if (!attachment) return fail(unattachedError(RED, node, config.bus).message);
      if (asked.action === 'getSubscriptions') {
        send({ ...msg, payload: subscriptions.list() });
        return done();
      }
      if (asked.action === 'subscribe') {
        const added = subscriptions.add(asked.filters);
        attachment.filtersChanged();
        void attachment.listening(true);
        if (framing === 'lcm') for (const filter of added) attachment.askRetained(filter);
        return done();
      }
      subscriptions.remove(asked.filters);
      attachment.filtersChanged();
      // The last subscription gone: the node stops listening, and the bus leaves the group when no other node listens.
      if (subscriptions.size === 0)
        attachment.listening(false, unsubscribed).then(
          () => done(),
          (error: Error) => fail(String(error)),
        );
      else done();
    });
  }

  RED.nodes.registerType<Node, MulticastInDef, unknown, Record<string, never>>('multicast-in', MulticastIn);
};
