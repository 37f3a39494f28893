import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { namespaceMode, skipWithReason } from './private-network';

const haveTcpdump = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;

/** Skips the test unless tcpdump is installed and can run here (as root: in a user namespace it cannot drop privileges). */
export function requireCapture(context: Mocha.Context): void {
  if (!haveTcpdump) skipWithReason(context, 'needs tcpdump to see the wire (.ci/run installs it)');
  if (namespaceMode !== 'root') skipWithReason(context, 'needs root to capture packets with tcpdump (CI runs as root)');
}

/**
 * Starts tcpdump on an interface and resolves once it is listening; `packets` then resolves with the verbose text of
 * the first `count` packets matching the filter (with their IP headers in hex), or rejects after `ms`. The process is always ended.
 */
export function startCapture(iface: string, filter: string, count = 1, ms = 5000): Promise<{ packets: Promise<string> }> {
  return capture([], iface, filter, count, ms);
}

/** As startCapture, on an interface of another network namespace (a test host). */
export function startCaptureIn(namespace: string, iface: string, filter: string, count = 1, ms = 5000): Promise<{ packets: Promise<string> }> {
  return capture(['ip', 'netns', 'exec', namespace], iface, filter, count, ms);
}

/**
 * Starts tcpdump on an interface of another network namespace (a test host) and resolves once it is listening; `text()`
 * is then the verbose text of every packet matching the filter so far, until `stop()`.
 */
export async function watchIn(namespace: string, iface: string, filter: string): Promise<{ text(): string; stop(): void }> {
  const { tcpdump, text } = await listen(['ip', 'netns', 'exec', namespace, 'tcpdump', '-i', iface, '-n', '-v', '-l', filter]);
  return { text, stop: () => tcpdump.kill() };
}

/** Runs a tcpdump command line and resolves once it listens, with the process and the text it printed so far. */
async function listen(command: string[]): Promise<{ tcpdump: ChildProcessByStdio<null, Readable, Readable>; text(): string }> {
  const tcpdump = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  tcpdump.stdout.on('data', (chunk) => (text += chunk));
  await new Promise<void>((resolve, reject) => {
    let errors = '';
    tcpdump.stderr.on('data', (chunk) => {
      errors += chunk;
      if (errors.includes('listening on')) resolve();
    });
    tcpdump.on('exit', () => reject(new Error(`tcpdump ended before listening: ${errors}`)));
  });
  return { tcpdump, text: () => text };
}

async function capture(prefix: string[], iface: string, filter: string, count: number, ms: number): Promise<{ packets: Promise<string> }> {
  const { tcpdump, text } = await listen([...prefix, 'tcpdump', '-i', iface, '-n', '-v', '-x', '-l', '-c', String(count), filter]);
  const packets = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      tcpdump.kill();
      reject(new Error(`tcpdump saw no packet matching "${filter}" within ${ms} ms; it saw: ${text()}`));
    }, ms);
    tcpdump.on('exit', () => {
      clearTimeout(timer);
      resolve(text());
    });
  });
  return { packets };
}

/** The TTL of the first IPv4 packet in a capture, read from the header bytes (tcpdump's text leaves out a TTL of 0). */
export function firstIpv4Ttl(text: string): number {
  const hex = [...text.matchAll(/0x[0-9a-f]{4}:\s+((?:[0-9a-f]{4}\s?)+)/g)].map((m) => m[1].replace(/\s/g, '')).join('');
  if (hex.length < 20 || hex[0] !== '4') throw new Error(`no IPv4 header in capture: ${text}`);
  return parseInt(hex.slice(16, 18), 16);
}
