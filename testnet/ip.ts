import { execFileSync } from 'node:child_process';

/** Runs `ip` with the arguments and returns what it printed, throwing with its stderr when it fails. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
