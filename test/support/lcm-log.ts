// LCM's log file format: per event a 28-byte big-endian header (sync 0xEDA1DA01, u64 event number, u64 timestamp in
// microseconds, u32 channel length, u32 data length), then the channel and the data.

const SYNC = 0xeda1da01;

export interface LogEvent {
  channel: string;
  data: Buffer;
  timestamp?: bigint;
}

/** Writes events as an LCM log file's bytes, timestamps one millisecond apart unless given. */
export function writeLcmLog(events: LogEvent[]): Buffer {
  const start = BigInt(Date.now()) * 1000n;
  return Buffer.concat(
    events.flatMap((event, i) => {
      const channel = Buffer.from(event.channel, 'utf8');
      const header = Buffer.alloc(28);
      header.writeUInt32BE(SYNC, 0);
      header.writeBigUInt64BE(BigInt(i), 4);
      header.writeBigUInt64BE(event.timestamp ?? start + BigInt(i) * 1000n, 12);
      header.writeUInt32BE(channel.length, 20);
      header.writeUInt32BE(event.data.length, 24);
      return [header, channel, event.data];
    }),
  );
}

/** Reads every complete event of an LCM log file (one still being written is left out); throws on a broken sync word. */
export function readLcmLog(bytes: Buffer): LogEvent[] {
  const events: LogEvent[] = [];
  let at = 0;
  while (at + 28 <= bytes.length) {
    if (bytes.readUInt32BE(at) !== SYNC) throw new Error(`bad sync word at byte ${at}`);
    const timestamp = bytes.readBigUInt64BE(at + 12);
    const channelLength = bytes.readUInt32BE(at + 20);
    const dataLength = bytes.readUInt32BE(at + 24);
    const channelStart = at + 28;
    const dataStart = channelStart + channelLength;
    if (dataStart + dataLength > bytes.length) break;
    events.push({ channel: bytes.toString('utf8', channelStart, dataStart), data: bytes.subarray(dataStart, dataStart + dataLength), timestamp });
    at = dataStart + dataLength;
  }
  return events;
}
