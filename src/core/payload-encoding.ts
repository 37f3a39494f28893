import { BusError } from './problem';

/**
 * Turns a msg.payload into the bytes of a datagram: a Buffer as is, a string as UTF-8,
 * anything else that JSON can carry (object, array, number, boolean, null) as JSON. Throws a BusError otherwise.
 */
export function payloadToBuffer(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload === undefined) throw new BusError({ code: 'payload-missing' });
  if (typeof payload === 'function' || typeof payload === 'symbol' || typeof payload === 'bigint') {
    throw new BusError({ code: 'payload-unsendable', params: { type: typeof payload } });
  }
  return Buffer.from(JSON.stringify(payload), 'utf8');
}
