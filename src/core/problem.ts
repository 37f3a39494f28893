/** A problem a user can fix, as a message key and the values the message needs; the node adapters turn it into words. */
export interface Problem {
  code: string;
  params?: Record<string, string | number>;
}

/** An error that carries a Problem, so the adapter can translate it before it reaches a Catch node. */
export class BusError extends Error {
  /** `underlying` is the deeper problem, e.g. why the bus is not ready. */
  constructor(
    readonly problem: Problem,
    readonly underlying?: Problem,
  ) {
    super(problem.code);
    this.name = 'BusError';
  }
}

/**
 * The problem an error carries, if it is a BusError. Checked by shape, not instanceof: each node file is its own
 * bundle with its own copy of the class.
 */
export function problemOf(error: unknown): { problem: Problem; underlying?: Problem } | undefined {
  if (error instanceof Error && error.name === 'BusError' && 'problem' in error) return error as BusError;
  return undefined;
}
