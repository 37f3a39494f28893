// LCM sequence numbers are u32 and wrap at 2^32, so "later" is serial-number arithmetic (RFC 1982): a number is after
// another when it is ahead of it by less than half the number space, whatever their plain values.

/** Whether u32 sequence number `a` comes after `b` (ahead by 1 to 2^31 - 1, across the wrap at 2^32). */
export function seqAfter(a: number, b: number): boolean {
  const ahead = (a - b) >>> 0;
  return ahead !== 0 && ahead < 0x80000000;
}
