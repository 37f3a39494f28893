import type { Node, NodeAPI } from 'node-red';
import type { MulticastBus } from '../../core/multicast-bus';
import type { Problem } from '../../core/problem';
import type { SocketState } from '../../core/reopening-socket';

/** The secrets of a sealed bus, kept in Node-RED's credentials, never in the flow file. */
export interface BusCredentials {
  key?: string;
  previousKey?: string;
}

/** The config node as in/out nodes see it: the shared bus, or the problems that kept it from being made. */
export interface MulticastBusNode extends Node<BusCredentials> {
  bus?: MulticastBus;
  configProblems: Problem[];
  /** The problem in words with what to do, from this node's message catalog: for the log and Catch nodes. */
  describe(problem: Problem): string;
  /** The problem in the few words a node status holds. */
  brief(problem: Problem): string;
  /** The first of several problems in brief, and how many more there are: `… (+2 more)`, for a status. */
  briefAll(problems: Problem[]): string;
  /** Every problem in full, joined by '; ': for the log and Catch nodes. */
  describeAll(problems: Problem[]): string;
  /** Logs a side's new problem once, not on every retry. */
  report(side: 'receive' | 'send', state: SocketState): void;
}

/** The deployed multicast-bus config node with this id; undefined when there is none, or the id names another type. */
export function busNodeOf(RED: NodeAPI, id: string): MulticastBusNode | undefined {
  const node = RED.nodes.getNode(id);
  return isBusNode(node) ? node : undefined;
}

function isBusNode(node: Node | null): node is MulticastBusNode {
  return node !== null && node.type === 'multicast-bus' && 'brief' in node;
}
