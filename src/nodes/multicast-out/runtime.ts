import type { Node, NodeAPI, NodeDef } from 'node-red';
import { topicToSend } from '../../core/default-topic';
import { payloadToBuffer } from '../../core/payload-encoding';
import { attachSender, unattachedError } from '../bus-client/attach-to-bus';

interface MulticastOutDef extends NodeDef {
  bus: string;
  topic: string;
  /** "best-effort" (the default, also for flows from before it existed) or "reliable". */
  delivery?: string;
  retain?: boolean;
}

export = function registerMulticastOut(RED: NodeAPI): void {
  function MulticastOut(this: Node, config: MulticastOutDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const attachment = attachSender(RED, node, config.bus);
    const reliable = config.delivery === 'reliable';

    node.on('input', (msg, _send, done) => {
      // done() gets the error's text, not the Error: the debug sidebar shows a string whole but an Error as an object
      // preview cut after 30 characters. Catch nodes get the same msg.error.message either way.
      const fail = (error: Error) => (done as (err?: Error | string) => void)(error.message || String(error));
      if (!attachment) {
        // No bus at all, or one whose settings are wrong: the status already shows it; the error names every problem.
        fail(unattachedError(RED, node, config.bus));
        return;
      }
      let bytes: Buffer;
      try {
        bytes = payloadToBuffer(msg.payload);
      } catch (error) {
        fail(attachment.failed(error));
        return;
      }
      // Raw framing carries no topic; LCM framing needs one, so a message without any goes out on the default topic.
      // A retained message is also reliable (the bus's stream turns reliable for it). As in the core mqtt out,
      // msg.retain === true retains that message when the node itself does not; on raw framing, which cannot retain,
      // it is ignored, so messages from an mqtt in (which carry msg.retain) still go out there.
      const wantsRetain = (msg as { retain?: unknown }).retain === true && attachment.bus.settings.framing === 'lcm';
      const retain = config.retain === true || wantsRetain;
      attachment.bus.publish(topicToSend(config.topic?.trim(), msg.topic), bytes, { reliable, retain }).then(
        () => {
          attachment.sent();
          done();
        },
        (error: unknown) => fail(attachment.failed(error)),
      );
    });
  }

  RED.nodes.registerType<Node, MulticastOutDef, unknown, Record<string, never>>('multicast-out', MulticastOut);
};
