import { isIP } from 'node:net';
import { type AddressFamily, isSourceSpecificGroup, MAX_DATAGRAM_PAYLOAD, multicastFamily, needsZone } from './multicast-address';
import type { Problem } from './problem';

export type FramingName = 'lcm' | 'raw';
export const FRAMINGS: readonly FramingName[] = ['lcm', 'raw'];

/** A bus configuration that has been checked: every field is present and in range. */
export interface BusSettings {
  group: string;
  family: AddressFamily;
  port: number;
  ttl: number;
  /** '' for the OS default, else an interface name or one of its addresses. */
  iface: string;
  loopback: boolean;
  framing: FramingName;
  /** Largest datagram the sender makes (LCM framing), header included. */
  maxDatagram: number;
  /** Largest message sent or accepted (LCM framing). */
  maxMessage: number;
  /** Receive buffer to ask the kernel for, in bytes; 0 keeps the OS default. */
  rcvbuf: number;
  /** Source-specific multicast: only these senders are heard (empty: any sender). */
  sources: string[];
  /** Seconds between fresh membership reports, for switches that snoop IGMP without a querier; 0 = off. */
  rejoin: number;
  /** 'sealed': every datagram encrypted and authenticated with the bus key (docs/security.md). */
  security: Security;
  /** Sealed buses: how far a frame's send time may be from this host's clock, in seconds. */
  replayWindow: number;
}

export type Security = 'none' | 'sealed';
export const SECURITIES: readonly Security[] = ['none', 'sealed'];

/** What a user wrote in the config node; values come from the editor as strings or numbers. */
export interface BusSettingsInput {
  group?: unknown;
  port?: unknown;
  ttl?: unknown;
  iface?: unknown;
  loopback?: unknown;
  framing?: unknown;
  maxDatagram?: unknown;
  maxMessage?: unknown;
  rcvbuf?: unknown;
  source?: unknown;
  rejoin?: unknown;
  security?: unknown;
  replayWindow?: unknown;
}

export const DEFAULT_SETTINGS = {
  group: '239.255.76.67',
  port: 7667,
  ttl: 1,
  iface: '',
  loopback: true,
  framing: 'lcm',
  // LCM's own choice: fits a 1500-byte MTU with room for tunnel headers, so IP never fragments.
  maxDatagram: 1400,
  maxMessage: 16 * 1024 * 1024,
  rcvbuf: 8 * 1024 * 1024,
  source: '',
  rejoin: 0,
  security: 'none',
  replayWindow: 120,
} as const;

// Room for a fragment header, the longest channel and, on a sealed bus, the seal.
const MIN_DATAGRAM = 160;
const MAX_MESSAGE_LIMIT = 1024 * 1024 * 1024;

function integerIn(value: unknown, low: number, high: number): number | undefined {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= low && n <= high ? n : undefined;
}

function textOrDefault(value: unknown, fallback: string): string {
  return value === undefined || value === null || String(value).trim() === '' ? fallback : String(value).trim();
}

/** Checks a config node's fields and returns settings, or every problem found so the user can fix them at once. */
export function parseBusSettings(input: BusSettingsInput): { settings: BusSettings } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const group = textOrDefault(input.group, DEFAULT_SETTINGS.group);
  const family = multicastFamily(group);
  if (!family) problems.push({ code: 'not-multicast', params: { group } });

  const portText = textOrDefault(input.port, String(DEFAULT_SETTINGS.port));
  const port = integerIn(portText, 1, 65535);
  if (port === undefined) problems.push({ code: 'bad-port', params: { port: portText } });

  const ttlText = textOrDefault(input.ttl, String(DEFAULT_SETTINGS.ttl));
  const ttl = integerIn(ttlText, 0, 255);
  if (ttl === undefined) problems.push({ code: 'bad-ttl', params: { ttl: ttlText } });

  const iface = textOrDefault(input.iface, DEFAULT_SETTINGS.iface);
  if (iface !== '' && iface !== '*' && !isIP(iface) && !/^[^\s/:*]{1,15}$/.test(iface)) {
    problems.push({ code: 'bad-iface', params: { iface } });
  }

  if (family === 'IPv6' && needsZone(group) && (iface === '' || iface === '*')) problems.push({ code: 'zone-needs-iface', params: { group } });

  const sourceText = textOrDefault(input.source, DEFAULT_SETTINGS.source);
  const sources = sourceText === '' ? [] : sourceText.split(',').map((part) => part.trim()).filter(Boolean);
  for (const source of sources) {
    const version = isIP(source);
    if (version === 0) problems.push({ code: 'bad-source', params: { source } });
    else if (family && (version === 4) !== (family === 'IPv4')) problems.push({ code: 'source-family', params: { source, group } });
  }
  if (sources.length > 0 && family && !isSourceSpecificGroup(group)) problems.push({ code: 'ssm-needs-ssm-group', params: { group } });

  const rejoinText = textOrDefault(input.rejoin, String(DEFAULT_SETTINGS.rejoin));
  const rejoin = integerIn(rejoinText, 0, 3600);
  if (rejoin === undefined) problems.push({ code: 'bad-rejoin', params: { value: rejoinText } });

  const framing = textOrDefault(input.framing, DEFAULT_SETTINGS.framing);
  if (!(FRAMINGS as readonly string[]).includes(framing)) {
    problems.push({ code: 'bad-framing', params: { framing, choices: FRAMINGS.join(', ') } });
  }

  const maxDatagramText = textOrDefault(input.maxDatagram, String(DEFAULT_SETTINGS.maxDatagram));
  const maxDatagram = integerIn(maxDatagramText, MIN_DATAGRAM, family ? MAX_DATAGRAM_PAYLOAD[family] : MAX_DATAGRAM_PAYLOAD.IPv4);
  if (maxDatagram === undefined) {
    problems.push({ code: 'bad-max-datagram', params: { value: maxDatagramText, low: MIN_DATAGRAM, high: MAX_DATAGRAM_PAYLOAD[family ?? 'IPv4'] } });
  }
  const maxMessageText = textOrDefault(input.maxMessage, String(DEFAULT_SETTINGS.maxMessage));
  const maxMessage = integerIn(maxMessageText, 1, MAX_MESSAGE_LIMIT);
  if (maxMessage === undefined) problems.push({ code: 'bad-max-message', params: { value: maxMessageText, high: MAX_MESSAGE_LIMIT } });
  const rcvbufText = textOrDefault(input.rcvbuf, String(DEFAULT_SETTINGS.rcvbuf));
  const rcvbuf = integerIn(rcvbufText, 0, MAX_MESSAGE_LIMIT);
  if (rcvbuf === undefined) problems.push({ code: 'bad-rcvbuf', params: { value: rcvbufText, high: MAX_MESSAGE_LIMIT } });

  const security = textOrDefault(input.security, DEFAULT_SETTINGS.security);
  if (!(SECURITIES as readonly string[]).includes(security)) problems.push({ code: 'bad-security', params: { security } });
  const replayText = textOrDefault(input.replayWindow, String(DEFAULT_SETTINGS.replayWindow));
  const replayWindow = integerIn(replayText, 1, 86_400);
  if (replayWindow === undefined) problems.push({ code: 'bad-replay-window', params: { value: replayText } });

  const loopback = input.loopback === undefined ? DEFAULT_SETTINGS.loopback : input.loopback === true || input.loopback === 'true';

  if (problems.length > 0 || !family || port === undefined || ttl === undefined) return { problems };
  if (maxDatagram === undefined || maxMessage === undefined || rcvbuf === undefined || rejoin === undefined || replayWindow === undefined) {
    return { problems };
  }
  return {
    settings: {
      group,
      family,
      port,
      ttl,
      iface,
      loopback,
      framing: framing as FramingName,
      maxDatagram,
      maxMessage,
      rcvbuf,
      sources,
      rejoin,
      security: security as Security,
      replayWindow,
    },
  };
}
