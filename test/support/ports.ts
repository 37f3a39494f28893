// Ports for tests. A test that names a literal port shares it with any other test that names the same one, and a socket
// a test leaves closing can then disturb the next. nextPort() never gives the same port twice in a process.
//
// Each process takes a block of BLOCK ports chosen by its pid, so test processes that share a network namespace
// (mocha --parallel workers, say) most likely use different blocks; two pids that agree modulo BLOCKS would share one,
// so this lowers the chance of a clash between processes, it does not rule it out. The blocks lie between 20000 and 31999: below Linux's ephemeral
// range (32768-60999), where the kernel picks the port of every socket bound to port 0, and clear of the ports tests
// use on purpose (1880 for Node-RED on a test host, 5000 for the seed's programs, 7667 for LCM).

const FIRST = 20000;
const BLOCK = 1000;
const BLOCKS = 12;
const base = FIRST + (process.pid % BLOCKS) * BLOCK;
let given = 0;

/** A UDP or TCP port that no other caller in this process got, for a bus or a Node-RED to use. */
export function nextPort(): number {
  if (given === BLOCK) throw new Error(`this process has used all ${BLOCK} of its test ports (${base}-${base + BLOCK - 1})`);
  return base + given++;
}
