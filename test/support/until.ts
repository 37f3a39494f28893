/** How long until waits in all, and how often it looks. */
export interface Patience {
  ms?: number;
  every?: number;
}

/**
 * The tests' one polling loop: calls `check` (it may answer at once or through a promise) every `every` ms until it
 * gives something other than undefined or false, and resolves with that. After `ms` it rejects, saying it timed out
 * waiting for `what`; give a function for `what` to say there what was seen last.
 */
export async function until<T>(
  what: string | (() => string),
  check: () => T | undefined | false | Promise<T | undefined | false>,
  patience: number | Patience = {},
): Promise<T> {
  const { ms = 8000, every = 50 } = typeof patience === 'number' ? { ms: patience } : patience;
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * Lets `ms` pass. Only for proving that something does not happen within a time (say so where it is used); to wait
 * for something to happen, wait for it with until.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
