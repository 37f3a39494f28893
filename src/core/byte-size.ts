// Sizes as people write them in a dialog: "16 MiB", "512 KiB", "1400" (bytes). No Node.js import: the editor bundles
// this file too. Only binary units: "16 MB" would leave a reader guessing whether it means 10^6 or 2^20.

const UNITS: Record<string, number> = { '': 1, b: 1, byte: 1, bytes: 1, kib: 1024, mib: 1024 * 1024, gib: 1024 * 1024 * 1024 };
const SIZE_TEXT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/** The number of bytes `text` names ("16 MiB", "1.5 KiB", "4096"), or undefined when it is not a whole number of bytes. */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE_TEXT.exec(text.trim());
  if (!match) return undefined;
  const unit = UNITS[match[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A byte count in the largest binary unit that divides it exactly: 16777216 → "16 MiB", 1000 → "1000 bytes". */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}
