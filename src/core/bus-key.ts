import { scrypt } from 'node:crypto';
import { BASE64_KEY, HEX_KEY } from './key-text';

export { keyTextProblem } from './key-text';

// A fixed salt: every host must derive the same key from the same passphrase, with nothing else shared.
const PASSPHRASE_SALT = 'node-red-contrib-multicast-bus sealed v1';

/** Scrypt cost for passphrases: about a tenth of a second per derivation, once per deploy. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/**
 * Turns the key a user gave into 32 bytes: 64 hex digits or base64 of 32 bytes are the key itself; anything else is a
 * passphrase (at least 12 characters, see keyTextProblem) run through scrypt, off the event loop.
 */
export async function deriveBusKey(text: string): Promise<Buffer> {
  const trimmed = text.trim();
  if (HEX_KEY.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (BASE64_KEY.test(trimmed)) return Buffer.from(trimmed, 'base64');
  return new Promise((resolve, reject) => scrypt(trimmed, PASSPHRASE_SALT, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))));
}
