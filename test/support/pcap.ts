import { readFileSync } from 'node:fs';

/** The UDP payloads of every IPv4 packet in a classic pcap file with Ethernet framing, as tcpdump -w writes it. */
export function udpPayloads(path: string): Buffer[] {
  const file = readFileSync(path);
  const payloads: Buffer[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const captured = file.readUInt32LE(at + 8);
    const frame = file.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    payloads.push(Buffer.from(udp.subarray(8, udp.readUInt16BE(4))));
  }
  return payloads;
}
