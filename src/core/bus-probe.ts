import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { BusSettings } from './bus-settings';
import { resolveInterface } from './interface-resolver';
import { canMulticast } from './link-state';
import { encodeMessage } from './lcm-codec';
import type { Problem } from './problem';
import { openReceiveSocket } from './receive-socket';
import { closeSocket } from './reopening-socket';
import { openSendSocket, sendDatagram } from './send-socket';

/** One step of a probe: what was tried, whether it worked, and the problem when not. */
export interface ProbeStep {
  step: 'interface' | 'join' | 'unsent' | 'send' | 'loopback' | 'rcvbuf';
  ok: boolean;
  problem?: Problem;
  detail?: Record<string, string | number>;
}

/**
 * Tries a bus's settings on this host without a deploy: finds the interface, joins the group, sends a probe to itself
 * and waits for it, and reads back the receive buffer. The probe goes with TTL 0, so it never leaves this host, on the
 * LCM_SELF_TEST channel, which flows ignore. On raw framing or a sealed bus nothing is sent (flows would hear it, or
 * count it as a dropped plain frame).
 */
export async function probeBus(settings: BusSettings, waitMs = 1000): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const where = resolveInterface(settings.iface, settings.family, networkInterfaces(), canMulticast);
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
  receiving.socket.on('error', () => undefined); // a late socket error must not become an uncaught one
  steps.push({ step: 'join', ok: true });
  let sendSocket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    // On raw framing every datagram is a message, so a probe would reach the flows of this host on the bus; a sealed
    // bus on this host would count a plain probe as dropped and warn. In both cases, do not send.
    if (settings.framing === 'raw' || settings.security === 'sealed') {
      steps.push({ step: 'unsent', ok: true, detail: { reason: settings.framing === 'raw' ? 'raw' : 'sealed' } });
      return withReceiveBuffer(steps, settings, receiving);
    }
    const sending = await openSendSocket(probeSettings, where.resolved);
    if (!('socket' in sending)) return [...steps, { step: 'send', ok: false, problem: sending.problem }];
    sendSocket = sending.socket;
    sendSocket.on('error', () => undefined);
    const sent = await new Promise<Error | null>((resolve) =>
      sendDatagram(sending.socket, probeDatagram(token), settings.port, settings.group, resolve),
    );
    if (sent)
      return [
        ...steps,
        {
          step: 'send',
          ok: false,
          problem: { code: 'socket-other', params: { step: 'send', group: settings.group, port: settings.port, detail: sent.message } },
        },
      ];
    steps.push({ step: 'send', ok: true });
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
    const came = await Promise.race([echoed.then(() => 'back' as const), timeout]);
    steps.push(
      came === 'back' ? { step: 'loopback', ok: true } : { step: 'loopback', ok: false, problem: { code: 'probe-lost', params: { waitMs } } },
    );
    return withReceiveBuffer(steps, settings, receiving);
  } finally {
    clearTimeout(timer);
    await closeSocket(receiving.socket);
    if (sendSocket) await closeSocket(sendSocket);
  }
}

/** Adds the last step, the receive buffer the OS granted against the one asked for. */
function withReceiveBuffer(steps: ProbeStep[], settings: BusSettings, receiving: { socket: Socket; note?: Problem }): ProbeStep[] {
  const granted = receiving.socket.getRecvBufferSize();
  steps.push({
    step: 'rcvbuf',
    ok: settings.rcvbuf === 0 || granted >= settings.rcvbuf,
    detail: { requested: settings.rcvbuf, granted },
    ...(receiving.note ? { problem: receiving.note } : {}),
  });
  return steps;
}

/** The probe on LCM framing: a message on LCM_SELF_TEST, a channel flows ignore. */
function probeDatagram(token: string): Buffer {
  return Buffer.concat(encodeMessage('LCM_SELF_TEST', Buffer.from(token), 0, 1400)[0]);
}
