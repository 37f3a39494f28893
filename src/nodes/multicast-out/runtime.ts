import type { Node, NodeAPI, NodeDef } from 'node-red';
import { payloadToBuffer } from '../../core/payload-encoding';
import { attachToBus } from '../bus-client/attach-to-bus';
import { problemWords } from '../bus-client/problem-words';
import { busNodeOf } from '../multicast-bus/multicast-bus-node';

interface MulticastOutDef extends NodeDef {
  bus: string;
  topic: string;
}

export = function registerMulticastOut(RED: NodeAPI): void {
  function MulticastOut(this: Node, config: MulticastOutDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const attachment = attachToBus(RED, node, config.bus);

    node.on('input', (msg, _send, done) => {
      const bus = attachment?.busNode.bus;
      if (!attachment || !bus) {
        // Either no bus at all, or one whose settings are wrong: say which.
        const busNode = busNodeOf(RED, config.bus);
        const problem = busNode?.configProblems[0];
        done(new Error(busNode && problem ? busNode.describe(problem) : problemWords(RED, 'multicast-out', 'errors').full({ code: 'no-bus' })));
        return;
      }
      let bytes: Buffer;
      try {
        bytes = payloadToBuffer(msg.payload);
      } catch (error) {
        done(attachment.explain(error));
        return;
      }
      // The node's own topic wins; otherwise msg.topic. Raw framing carries no topic, LCM framing requires one.
      const topic = config.topic || (typeof msg.topic === 'string' ? msg.topic : '');
      bus.publish(topic, bytes).then(
        () => done(),
        (error: unknown) => done(attachment.explain(error)),
      );
    });
  }

  RED.nodes.registerType<Node, MulticastOutDef, unknown, Record<string, never>>('multicast-out', MulticastOut);
};
