import { isIP } from 'node:net';
import {
  BUS_FIELDS,
  fieldNumber,
  fieldText,
  FRAMINGS,
  inRange,
  rangeOf,
  SECURITIES,
  type FramingName,
  type NumericField,
  type Security,
} from './bus-fields';
import { type AddressFamily, isSourceSpecificGroup, multicastFamily, needsZone } from './multicast-address';
import type { Problem } from './problem';

/** A bus configuration that has been checked: every field is present and in range. */
export interface BusSettings {
  group: string;
  family: AddressFamily;
  port: number;
  ttl: number;
  /** '' for the OS default, else an interface name or one of its addresses. */
  iface: string;
  loopback: boolean;
  /** LCM framing: announce this bus's publishing (presence) while it sends. */
  announce: boolean;
  /** LCM framing: messages published in one turn of the event loop go out packed into as few datagrams as fit. */
  batch: boolean;
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

/** What a user wrote in the config node; values come from the editor as strings or numbers. */
export interface BusSettingsInput {
  group?: unknown;
  port?: unknown;
  ttl?: unknown;
  iface?: unknown;
  loopback?: unknown;
  announce?: unknown;
  batch?: unknown;
  framing?: unknown;
  maxDatagram?: unknown;
  maxMessage?: unknown;
  rcvbuf?: unknown;
  source?: unknown;
  rejoin?: unknown;
  security?: unknown;
  replayWindow?: unknown;
}

/** The default of every field, as a config node written without them gets. */
export const DEFAULT_SETTINGS = Object.fromEntries(Object.entries(BUS_FIELDS).map(([name, spec]) => [name, spec.default])) as {
  [K in keyof typeof BUS_FIELDS]: (typeof BUS_FIELDS)[K]['default'];
};

/** A whole-number field (a size may carry a unit): its value, or a problem (with the range to use) pushed onto `problems`. */
function numberField(field: NumericField, value: unknown, code: string, problems: Problem[], family?: AddressFamily): number | undefined {
  const text = textOrDefault(value, String(BUS_FIELDS[field].default));
  if (inRange(field, text, family === 'IPv6')) return fieldNumber(field, text);
  const { min, max } = rangeOf(field, family === 'IPv6');
  problems.push({ code, params: { value: text, low: fieldText(field, min), high: fieldText(field, max) } });
  return undefined;
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

  const port = numberField('port', input.port, 'bad-port', problems);
  const ttl = numberField('ttl', input.ttl, 'bad-ttl', problems);

  const iface = textOrDefault(input.iface, DEFAULT_SETTINGS.iface);
  if (iface !== '' && iface !== '*' && !isIP(iface) && !BUS_FIELDS.iface.namePattern.test(iface)) {
    problems.push({ code: 'bad-iface', params: { iface } });
  }

  if (family === 'IPv6' && needsZone(group) && (iface === '' || iface === '*')) problems.push({ code: 'zone-needs-iface', params: { group } });

  const sourceText = textOrDefault(input.source, DEFAULT_SETTINGS.source);
  const sources =
    sourceText === ''
      ? []
      : sourceText
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean);
  for (const source of sources) {
    const version = isIP(source);
    if (version === 0) problems.push({ code: 'bad-source', params: { source } });
    else if (family && (version === 4) !== (family === 'IPv4')) problems.push({ code: 'source-family', params: { source, group } });
  }
  if (sources.length > 0 && family && !isSourceSpecificGroup(group)) problems.push({ code: 'ssm-needs-ssm-group', params: { group } });

  const rejoin = numberField('rejoin', input.rejoin, 'bad-rejoin', problems);

  const framing = textOrDefault(input.framing, DEFAULT_SETTINGS.framing);
  if (!(FRAMINGS as readonly string[]).includes(framing)) {
    problems.push({ code: 'bad-framing', params: { framing, choices: FRAMINGS.join(', ') } });
  }

  const maxDatagram = numberField('maxDatagram', input.maxDatagram, 'bad-max-datagram', problems, family);
  const maxMessage = numberField('maxMessage', input.maxMessage, 'bad-max-message', problems);
  const rcvbuf = numberField('rcvbuf', input.rcvbuf, 'bad-rcvbuf', problems);

  const security = textOrDefault(input.security, DEFAULT_SETTINGS.security);
  if (!(SECURITIES as readonly string[]).includes(security)) problems.push({ code: 'bad-security', params: { security } });
  const replayWindow = numberField('replayWindow', input.replayWindow, 'bad-replay-window', problems);

  const flag = (value: unknown, byDefault: boolean) => (value === undefined ? byDefault : value === true || value === 'true');
  const loopback = flag(input.loopback, DEFAULT_SETTINGS.loopback);
  const announce = flag(input.announce, DEFAULT_SETTINGS.announce);
  const batch = flag(input.batch, DEFAULT_SETTINGS.batch);

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
      announce,
      batch,
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
