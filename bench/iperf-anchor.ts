// The kernel's own limit, as an anchor for the tables: iperf 2 (Debian's `iperf`) sending UDP multicast datagrams of
// the cell's size flat out from the publisher, a server on each subscriber counting what arrives. No Node.js at all:
// how close the raw ceiling and the bus come to what this machine can move.
import { type ChildProcess } from 'node:child_process';
import type { Host } from '../testnet/topology';
import type { Candidate } from './candidates';
import type { Bench, Cell } from './measure';

const SECONDS = 2;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a child process prints, once it has ended. */
function output(child: ChildProcess): Promise<string> {
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  return new Promise((resolve) => child.on('close', () => resolve(text)));
}

/** What one iperf server's final report says: datagrams that arrived, out of those sent, over how many seconds. */
export function serverReport(text: string): { received: number; total: number; seconds: number } | undefined {
  // "[  1] 0.0000-2.0012 sec  4.06 MBytes  17.0 Mbits/sec  0.005 ms 1234/67890 (1.8%) ..." : the last whole-run line.
  const lines = [...text.matchAll(/(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?) sec .*? (\d+)\/(\d+) \(/g)];
  const last = lines.at(-1);
  if (!last) return undefined;
  const [, from, to, lost, total] = last;
  return { received: Number(total) - Number(lost), total: Number(total), seconds: Number(to) - Number(from) };
}

/** One iperf cell: `size`-byte datagrams for two seconds, flat out, to `subscribers`. */
export async function measureIperf(bench: Bench, candidate: Candidate, size: number, subscribers: Host[], run: number): Promise<Cell> {
  const group = candidate.group!;
  const port = String(candidate.port);
  const servers = subscribers.map((host) => {
    // -B joins the group; without -i, one report when the client's last datagram says the run is over.
    const child = bench.net.spawn(host, 'iperf', ['-s', '-u', '-B', group, '-p', port, '-e']);
    return { child, text: output(child) };
  });
  try {
    await pause(700);
    const client = bench.net.spawn(bench.publisher, 'iperf', [
      '-c',
      group,
      '-p',
      port,
      '-u',
      '-T',
      '1',
      '-l',
      String(size),
      '-b',
      '10G',
      '-t',
      String(SECONDS),
      '-e',
    ]);
    const sentText = await output(client);
    const sent = Number(/Sent (\d+) datagrams/.exec(sentText)?.[1] ?? NaN);
    await pause(1000);
    for (const server of servers) server.child.kill('SIGINT');
    const reports = await Promise.all(servers.map(async (server) => serverReport(await server.text)));
    if (reports.some((report) => report === undefined) || !(sent > 0)) {
      throw new Error(`iperf gave no figures: client said ${sentText}; servers said ${(await Promise.all(servers.map((s) => s.text))).join('\n')}`);
    }
    const delivered = reports.map((report) => report!.received / report!.seconds);
    const arrived = reports.reduce((sum, report) => sum + Math.min(report!.received, sent), 0);
    return {
      candidate: candidate.name,
      size,
      subscribers: subscribers.length,
      rate: 0,
      run,
      sent,
      publisherRate: sent / SECONDS,
      delivered,
      loss: 1 - arrived / (sent * subscribers.length),
      // iperf's CPU time is not read: the anchor is what the kernel moves, not what it costs.
      publisherCpuUs: NaN,
      publisherUserUs: NaN,
    };
  } finally {
    for (const server of servers) server.child.kill('SIGKILL');
  }
}
