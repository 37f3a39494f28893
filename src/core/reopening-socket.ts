import type { Socket } from 'node:dgram';
import type { Problem } from './problem';

export type SocketPhase = 'joining' | 'waiting' | 'ready' | 'error';

/** What one side of the bus is doing; `problem` says why it is waiting or failed, or warns about a ready socket. */
export interface SocketState {
  phase: SocketPhase;
  problem?: Problem;
}

/** One attempt to open: a socket (with a warning worth logging once), or a problem to show until the next attempt. */
export type OpenAttempt = { socket: Socket; note?: Problem } | { problem: Problem; phase: 'waiting' | 'error' };

/**
 * A socket shared by reference count: opened when the first user arrives, closed when the last leaves,
 * and re-tried every `retryMs` while it cannot open (an interface not there yet, an address in use).
 */
export class ReopeningSocket<User> {
  private readonly users = new Set<User>();
  private socket: Socket | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  // Bumped on every start and stop, so an attempt that finishes after a stop closes what it opened.
  private generation = 0;
  private current: SocketState = { phase: 'joining' };

  constructor(
    private readonly open: () => Promise<OpenAttempt>,
    private readonly announce: (users: Iterable<User>, state: SocketState) => void,
    private readonly retryMs: number,
  ) {}

  /** The state shown to users; `joining` until the first attempt finishes. */
  get state(): SocketState {
    return this.current;
  }

  /** The open socket, or undefined while joining, waiting or failed. */
  get openSocket(): Socket | undefined {
    return this.socket;
  }

  /** Every user currently registered, for delivering what the socket hears. */
  get currentUsers(): ReadonlySet<User> {
    return this.users;
  }

  /** Adds a user; the first one opens the socket. The user is told the current state at once. */
  add(user: User): void {
    this.users.add(user);
    this.announce([user], this.current);
    if (this.users.size === 1) this.attempt(++this.generation);
  }

  /** Removes a user; when it was the last one the socket is closed before the promise settles. */
  async remove(user: User): Promise<void> {
    if (!this.users.delete(user) || this.users.size > 0) return;
    await this.stop();
  }

  /** Closes the socket and opens it again at once, e.g. because its interface changed; nothing happens without users. */
  async restart(): Promise<void> {
    if (this.users.size === 0) return;
    const generation = ++this.generation;
    clearTimeout(this.retryTimer);
    const old = this.socket;
    this.socket = undefined;
    this.setState({ phase: 'joining' });
    await closeSocket(old);
    if (generation === this.generation) this.attempt(generation);
  }

  /** Closes the socket and forgets every user, as on a full redeploy. */
  async stop(): Promise<void> {
    this.generation++;
    this.users.clear();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.current = { phase: 'joining' };
    const old = this.socket;
    this.socket = undefined;
    await closeSocket(old);
  }

  private setState(state: SocketState): void {
    this.current = state;
    this.announce(this.users, state);
  }

  private attempt(generation: number): void {
    this.open().then(
      (result) => {
        if (generation !== this.generation) {
          if ('socket' in result) void closeSocket(result.socket);
          return;
        }
        if ('socket' in result) {
          this.socket = result.socket;
          result.socket.on('error', (error) => this.failed(generation, { code: 'socket-failed', params: { detail: error.message } }));
          this.setState(result.note ? { phase: 'ready', problem: result.note } : { phase: 'ready' });
        } else {
          this.setState({ phase: result.phase, problem: result.problem });
          this.retryLater(generation);
        }
      },
      (error: unknown) => this.failed(generation, { code: 'socket-failed', params: { detail: String(error) } }),
    );
  }

  private failed(generation: number, problem: Problem): void {
    if (generation !== this.generation) return;
    const broken = this.socket;
    this.socket = undefined;
    void closeSocket(broken);
    this.setState({ phase: 'error', problem });
    this.retryLater(generation);
  }

  private retryLater(generation: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (generation === this.generation) this.attempt(generation);
    }, this.retryMs);
    // Not unref()ed: a side that users want open but that waits for its interface (or retries after an error) holds
    // the process as an open socket would. A headless Node-RED has nothing else that does, and would exit.
  }
}

/** Closes a dgram socket and resolves once it is closed; a socket already closed resolves at once. */
export function closeSocket(socket: Socket | undefined): Promise<void> {
  if (!socket) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
