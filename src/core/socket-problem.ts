import type { Problem } from './problem';

const KNOWN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EINVAL', 'ENODEV', 'EADDRNOTAVAIL', 'ENETUNREACH', 'EMSGSIZE', 'EPERM']);

/** Maps a socket error to a problem whose message says what to do, keyed by e.code, never by errno number. */
export function socketProblem(error: unknown, step: string, params: Record<string, string | number>): Problem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && KNOWN_CODES.has(code)) return { code: `socket-${code}`, params: { ...params, step } };
  return { code: 'socket-other', params: { ...params, step, detail: String((error as Error)?.message ?? error) } };
}
