import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { DATATYPES, decodePayload, type Datatype } from '../../core/payload-decoding';
import { attachToBus } from '../bus-client/attach-to-bus';

interface MulticastInDef extends NodeDef {
  bus: string;
  topic: string;
  datatype: string;
}

export = function registerMulticastIn(RED: NodeAPI): void {
  function MulticastIn(this: Node, config: MulticastInDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const datatype: Datatype = (DATATYPES as readonly string[]).includes(config.datatype) ? (config.datatype as Datatype) : 'auto';
    const topic = config.topic ?? '';

    const attachment = attachToBus(RED, node, config.bus, {
      onDatagram(datagram) {
        const msg: NodeMessage & Record<string, unknown> = {
          topic,
          payload: undefined,
          ip: datagram.address,
          port: datagram.port,
          group: attachment?.busNode.bus?.settings.group,
        };
        try {
          msg.payload = decodePayload(datagram.payload, datatype);
        } catch (error) {
          // Only the json datatype throws; the raw bytes go with the error so a Catch node can still use them.
          msg.payload = datagram.payload;
          node.error(RED._('multicast-in.errors.not-json', { ip: datagram.address, port: datagram.port, detail: (error as Error).message }), msg);
          return;
        }
        node.send(msg);
      },
    });
  }

  RED.nodes.registerType('multicast-in', MulticastIn as unknown as Parameters<NodeAPI['nodes']['registerType']>[1]);
};
