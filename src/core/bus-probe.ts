import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { BusSettings } from './bus-settings';
import { resolveInterface } from './interface-resolver';
import { encodeMessage } from './lcm-codec';
import type { Problem } from './problem';
import { openReceiveSocket } from './receive-socket';
import { closeSocket } from './reopening-socket';
import { openSendSocket } from './send-socket';

/** One step of a probe: what was tried, whether it worked, and the problem when not. */
export interface ProbeStep {
  step: 'interface' | 'join' | 'send' | 'loopback' | 'rcvbuf';
  ok: boolean;
  problem?: Problem;
  detail?: Record<string, string | number>;
}

/**
 * Tries a bus's settings on this host without a deploy: finds the interface, joins the group, sends a probe to itself
 * and waits for it, and reads back the receive buffer. The probe goes with TTL 0, so it never leaves this host, and on
 * LCM framing on the LCM_SELF_TEST channel, which flows ignore.
 */
export async function probeBus(settings: BusSettings, waitMs = 1000): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const where = resolveInterface(settings.iface, settings.family, networkInterfaces());
  if ('problem' in where) return [{ step: 'interface', ok: false, problem: where.problem }];
  steps.push({ step: 'interface', ok: true, detail: { iface: where.resolved.name ?? (settings.iface === '*' ? '*' : 'default') } });

  const token = randomBytes(8).toString('hex');
  let heard: () => void = () => undefined;
  const echoed = new Promise<void>((resolve) => (heard = resolve));
  const probeSettings = { ...settings, ttl: 0, loopback: true, rejoin: 0 };
  const receiving = await openReceiveSocket(probeSettings, where.resolved, (bytes) => {
    if (bytes.includes(token)) heard();
  });
  if (!('socket' in receiving)) return [...steps, { step: 'join', ok: false, problem: receiving.problem }];
  steps.push({ step: 'join', ok: true });
  const sending = await openSendSocket(probeSettings, where.resolved);
  try {
    if (!('socket' in sending)) return [...steps, { step: 'send', ok: false, problem: sending.problem }];
    const probe = settings.framing === 'lcm' ? Buffer.concat(encodeMessage('LCM_SELF_TEST', Buffer.from(token), 0, 1400)[0]) : Buffer.from(token);
    const sent = await new Promise<Error | null>((resolve) => sending.socket.send(probe, settings.port, settings.group, resolve));
    if (sent) return [...steps, { step: 'send', ok: false, problem: { code: 'socket-other', params: { step: 'send', group: settings.group, port: settings.port, detail: sent.message } } }];
    steps.push({ step: 'send', ok: true });
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), waitMs));
    const came = await Promise.race([echoed.then(() => 'back' as const), timeout]);
    steps.push(came === 'back' ? { step: 'loopback', ok: true } : { step: 'loopback', ok: false, problem: { code: 'probe-lost', params: { waitMs } } });
    const granted = receiving.socket.getRecvBufferSize();
    steps.push({
      step: 'rcvbuf',
      ok: settings.rcvbuf === 0 || granted >= settings.rcvbuf,
      detail: { requested: settings.rcvbuf, granted },
      ...(receiving.note ? { problem: receiving.note } : {}),
    });
    return steps;
  } finally {
    await closeSocket(receiving.socket);
    if ('socket' in sending) await closeSocket(sending.socket);
  }
}
