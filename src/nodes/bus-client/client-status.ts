import type { Node, NodeStatus } from 'node-red';
import type { SocketState } from '../../core/reopening-socket';

const TRAFFIC_REFRESH_MS = 2000;

/** How an in/out node words what its status shows. */
export interface StatusTexts {
  /** The node's side of the bus while it is not ready: why, in brief. */
  state(state: SocketState): string;
  /** While the node's side of the bus is ready: the bus and this node's own traffic. */
  traffic(): string;
}

/**
 * What an in/out node's status shows, one thing at a time, the newest first: a send that failed (red) until a later one
 * succeeds or the bus side changes; else its side of the bus while that is joining (yellow), waiting (yellow) or failed (red); else, ready,
 * the node's own traffic (green), refreshed every few seconds.
 */
export class ClientStatus {
  private state: SocketState = { phase: 'joining' };
  private failure: string | undefined;
  private pausedText: string | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private shown = '';

  constructor(
    private readonly node: Node,
    private readonly texts: StatusTexts,
  ) {}

  /** The node's side of the bus changed: that is news, so it replaces a failure shown before. */
  changed(state: SocketState): void {
    this.state = state;
    this.failure = undefined;
    if (!this.refresh) {
      // Ticks in every state, so the traffic's rate keeps its window and is right as soon as the node is ready again.
      this.refresh = setInterval(() => {
        this.texts.traffic();
        this.show();
      }, TRAFFIC_REFRESH_MS);
      // The bus's sockets hold the process while they are open; the status must not.
      this.refresh.unref();
    }
    this.show();
  }

  /** A send failed: shown in brief until a later send succeeds or the bus changes. */
  failed(brief: string): void {
    this.failure = brief;
    this.show();
  }

  /** A send succeeded: a failure shown before gives way to the traffic. */
  succeeded(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.show();
  }

  /** The node does not use the bus for now (a multicast in with no subscriptions): a grey ring with `text`; undefined resumes. */
  paused(text: string | undefined): void {
    this.pausedText = text;
    this.show();
  }

  /** The node is closing: no more refreshes. */
  stop(): void {
    clearInterval(this.refresh);
    this.refresh = undefined;
  }

  private show(): void {
    const status = this.current();
    const key = JSON.stringify(status);
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }

  private current(): NodeStatus {
    if (this.failure !== undefined) return { fill: 'red', shape: 'ring', text: this.failure };
    if (this.pausedText !== undefined) return { fill: 'grey', shape: 'ring', text: this.pausedText };
    switch (this.state.phase) {
      case 'ready':
        return { fill: 'green', shape: 'dot', text: this.texts.traffic() };
      case 'joining':
      case 'waiting':
        return { fill: 'yellow', shape: 'ring', text: this.texts.state(this.state) };
      case 'error':
        return { fill: 'red', shape: 'ring', text: this.texts.state(this.state) };
    }
  }
}
