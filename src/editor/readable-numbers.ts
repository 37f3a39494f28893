// Numbers as the bus sidebar and the Statistics tab show them: short enough for a column of a narrow table. Words
// ("/s", "ago") come from the catalog; these functions only pick the digits and the unit. No Node-RED inside, so
// they are tested on their own.

/** Binary units, as the dialog writes sizes ("16 MiB"): "kB" would leave a reader guessing 1000 or 1024. */
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** One decimal at most (two below 0.1), none from 100, and no ".0": 0.05 → "0.05", 3.33 → "3.3", 3.04 → "3", 123.4 → "123". */
export function shortNumber(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '0';
  if (value >= 100) return String(Math.round(value));
  if (value >= 0.1) return trimZero(value.toFixed(1));
  // A rare topic (one message a minute is 0.017/s) is not shown as 0.
  return value >= 0.01 ? trimZero(value.toFixed(2)) : '0.01';
}

function trimZero(text: string): string {
  return text.replace(/\.0+$/, '');
}

/** A byte count in the largest binary unit under 1024 of it: 900 → { value: "900", unit: "B" }, 1536 → "1.5" "KiB". */
export function byteAmount(bytes: number): { value: string; unit: (typeof BYTE_UNITS)[number] } {
  let scaled = Math.max(0, bytes);
  let unit = 0;
  while (scaled >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return { value: unit === 0 ? String(Math.round(scaled)) : shortNumber(scaled), unit: BYTE_UNITS[unit] };
}

/** How long ago, in the largest whole unit: under a second is "now". */
export function elapsed(ms: number): { unit: 'now' | 'seconds' | 'minutes' | 'hours' | 'days'; n: number } {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 1) return { unit: 'now', n: 0 };
  if (seconds < 60) return { unit: 'seconds', n: seconds };
  if (seconds < 3600) return { unit: 'minutes', n: Math.floor(seconds / 60) };
  if (seconds < 86400) return { unit: 'hours', n: Math.floor(seconds / 3600) };
  return { unit: 'days', n: Math.floor(seconds / 86400) };
}

/** A counter with thousands grouped as the browser's language groups them: 1234567 → "1,234,567". */
export function count(value: number): string {
  return value.toLocaleString();
}
