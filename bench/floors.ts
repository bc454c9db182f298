/**
 * The floors every throughput case is measured against, so the distance to the limit is visible:
 *
 *   - wc -l: reading the bytes at all;
 *   - node readline: Node's stock line reader;
 *   - node split loop: what connwatch's file reader does before any parsing (blocks of 1 MiB read
 *     synchronously, lines found with indexOf, each decoded to a string), and nothing else;
 *   - node split + one regex: the same with one regular expression per line (a syslog envelope
 *     taken apart: time, host, identifier, pid, message), the least any log parser does.
 *
 * Each prints its line count on stderr so a run that read nothing shows.
 */
import type { Tool } from './cases.js';

const READLINE = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let n = 0; rl.on('line', () => n++); rl.on('close', () => console.error('lines ' + n));`;

/** `each` is the body run per line with `line` in scope; it may count into `hits`. */
function splitLoop(each: string): string {
  return `
const fs = require('node:fs');
const fd = fs.openSync(process.argv[1], 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let carry = '', n = 0, hits = 0, got;
${each ? 'const RE = /^(\\S+(?: +\\S+){0,2}) (\\S+) ([\\w.-]+)\\[(\\d+)\\]: (.*)$/;' : ''}
while ((got = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
  let at = 0, nl;
  while ((nl = buf.indexOf(10, at)) !== -1 && nl < got) {
    let line = buf.toString('utf8', at, nl);
    if (carry) { line = carry + line; carry = ''; }
    n++;
    ${each}
    at = nl + 1;
  }
  if (at < got) carry += buf.toString('utf8', at, got);
}
console.error('lines ' + n + ' matched ' + hits);`;
}

export const FLOORS: readonly Tool[] = [
  { name: 'node split loop (floor)', cmd: process.execPath, args: (f) => ['-e', splitLoop(''), f] },
  { name: 'node split + one regex (floor)', cmd: process.execPath, args: (f) => ['-e', splitLoop('if (RE.exec(line) !== null) hits++;'), f] },
  { name: 'node readline loop (floor)', cmd: process.execPath, args: (f) => ['-e', READLINE, f] },
  { name: 'wc -l (floor)', cmd: 'wc', args: (f) => ['-l', f] },
];

export const ONE_REGEX_FLOOR = 'node split + one regex (floor)';
