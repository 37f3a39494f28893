// What makes a bus key usable, with no Node.js import: the editor bundles this file to check a key as it is typed.

/** A key given as 64 hex digits: the 32 bytes themselves. */
export const HEX_KEY = /^[0-9a-f]{64}$/i;
/** A key given as base64 of 32 bytes (what the dialog's Generate button makes). */
export const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;
/** Anything else is a passphrase, and this short a passphrase is too easy to guess. */
const MIN_PASSPHRASE = 12;

/** Why a key text cannot be used ('key-missing', 'key-too-short'), or undefined when it can. */
export function keyTextProblem(text: string): 'key-missing' | 'key-too-short' | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return 'key-missing';
  if (!HEX_KEY.test(trimmed) && !BASE64_KEY.test(trimmed) && trimmed.length < MIN_PASSPHRASE) return 'key-too-short';
  return undefined;
}
