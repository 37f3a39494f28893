import type { Node, NodeAPI, NodeDef } from 'node-red';
import { payloadToBuffer } from '../../core/payload-encoding';
import { attachToBus } from '../bus-client/attach-to-bus';

interface MulticastOutDef extends NodeDef {
  bus: string;
  topic: string;
}

export = function registerMulticastOut(RED: NodeAPI): void {
  function MulticastOut(this: Node, config: MulticastOutDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const attachment = attachToBus(RED, node, config.bus, {});

    node.on('input', (msg, _send, done) => {
      const bus = attachment?.busNode.bus;
      if (!attachment || !bus) {
        done(new Error(RED._('multicast-out.errors.no-bus')));
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

  RED.nodes.registerType('multicast-out', MulticastOut as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
