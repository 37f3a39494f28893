import { isUtf8 } from 'node:buffer';

export type Datatype = 'auto' | 'utf8' | 'buffer' | 'json' | 'base64';
export const DATATYPES: readonly Datatype[] = ['auto', 'utf8', 'buffer', 'json', 'base64'];

// Only text that can start a JSON value is worth a parse attempt; the rest stays a string without paying for an exception.
const LOOKS_LIKE_JSON = /^\s*[{["\d\-tfn]/;

/**
 * Turns datagram bytes into a msg.payload. `auto` gives parsed JSON when the text is JSON, else the UTF-8 string,
 * else the Buffer. `json` throws a SyntaxError on bytes that are not JSON, so the caller can report it.
 */
export function decodePayload(bytes: Buffer, datatype: Datatype): unknown {
  switch (datatype) {
    case 'buffer':
      return bytes;
    case 'utf8':
      return bytes.toString('utf8');
    case 'base64':
      return bytes.toString('base64');
    case 'json':
      return JSON.parse(bytes.toString('utf8'));
    case 'auto': {
      if (!isUtf8(bytes)) return bytes;
      const text = bytes.toString('utf8');
      if (LOOKS_LIKE_JSON.test(text)) {
        try {
          return JSON.parse(text);
        } catch {
          return text;
        }
      }
      return text;
    }
  }
}
