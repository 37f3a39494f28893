import type { BusSettings } from './bus-settings';
import type { Framing } from './framing';
import { LcmFraming, type LcmFramingOptions } from './lcm-framing';
import type { Problem } from './problem';
import { RawFraming } from './raw-framing';
import { SEALED_OVERHEAD } from './sealed-frame';
import { SealedFraming, type SealedKeys } from './sealed-framing';

/** What a framing needs besides the bus settings. */
export interface FramingExtras {
  /** The keys of a sealed bus. */
  keys?: SealedKeys;
  /** Where rate-limited warnings about dropped frames go. */
  warn?: (problem: Problem) => void;
  /** The clock a sealed bus seals and checks freshness with; replaced in tests. */
  now?: () => number;
  /** Where control frames of reliable delivery go once opened (LCM framing): the bus's reliable receive side. */
  control?: LcmFramingOptions['control'];
  /** The bus's table of senders (LCM framing keeps each sender's sequence state there). */
  senders?: LcmFramingOptions['senders'];
}

/** The one framing a bus uses, chosen from its settings: raw or LCM, sealed when the bus is. */
export function framingForBus(settings: BusSettings, extras: FramingExtras = {}): Framing {
  const overhead = settings.security === 'sealed' ? SEALED_OVERHEAD : 0;
  const inner: Framing =
    settings.framing === 'lcm'
      ? new LcmFraming({
          maxDatagram: settings.maxDatagram - overhead,
          maxMessage: settings.maxMessage,
          control: extras.control,
          senders: extras.senders,
        })
      : new RawFraming(settings.family, overhead);
  if (settings.security !== 'sealed') return inner;
  if (!extras.keys) throw new Error('a sealed bus needs keys');
  // Bound to this bus, so a frame captured on another bus with the same key never opens here.
  const { group, port, framing, family, loopback } = settings;
  return new SealedFraming(inner, extras.keys, settings.replayWindow * 1000, extras.warn, extras.now, { group, port, framing, family, loopback });
}
