import type { Node } from 'node-red';
import type { MulticastBus } from '../../core/multicast-bus';
import type { Problem } from '../../core/problem';
import type { SocketState } from '../../core/reopening-socket';

/** The config node as in/out nodes see it: the shared bus, or the problems that kept it from being made. */
export interface MulticastBusNode extends Node {
  bus?: MulticastBus;
  configProblems: Problem[];
  /** The problem in words, from this node's message catalog; status text is the part before " — ". */
  describe(problem: Problem): string;
  /** Logs a side's new problem once, not on every retry. */
  report(side: 'receive' | 'send', state: SocketState): void;
}
