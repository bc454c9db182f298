/* global process, setInterval, console */
// A stand-in for macOS's /usr/bin/log (macOS cannot run here): `log stream … --style ndjson …`
// prints `log`'s "Filtering the log data using …" line, then every line appended to $OSLOG_ENTRIES
// after it started (unified log entries as NDJSON, one per line), as `log stream` prints entries
// from its start on; a line "EXIT n" makes it end with exit code n (a crash). `log show … --start
// "YYYY-MM-DD HH:MM:SS"` prints the entries of the file from that local time on. Each call's argv is
// appended to $OSLOG_CALLS.
import { appendFileSync, readFileSync, statSync } from 'node:fs';

const args = process.argv.slice(2);
if (process.env.OSLOG_CALLS) appendFileSync(process.env.OSLOG_CALLS, `${JSON.stringify(args)}\n`);
const file = process.env.OSLOG_ENTRIES;
const predicate = args[args.indexOf('--predicate') + 1];
const stamp = (line) => {
  const m = /"timestamp":"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)([+-])(\d\d)(\d\d)"/.exec(line);
  if (!m) return undefined;
  const local = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return local - (m[8] === '-' ? -1 : 1) * (+m[9] * 60 + +m[10]) * 60_000;
};
if (args[0] === 'show') {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(args[args.indexOf('--start') + 1] ?? '');
  if (!m) {
    console.error('log: invalid --start');
    process.exit(64);
  }
  const start = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
  process.stdout.write(`Filtering the log data using "${predicate}"\n`);
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.startsWith('{') && stamp(line) >= start) process.stdout.write(`${line}\n`);
  process.exit(0);
}
if (args[0] !== 'stream' || !args.includes('ndjson')) {
  console.error('log: unsupported arguments');
  process.exit(64);
}
process.stdout.write(`Filtering the log data using "${predicate}"\n`);
let offset = statSync(file).size;
let rest = '';
setInterval(() => {
  const text = readFileSync(file);
  if (text.length <= offset) return;
  const lines = (rest + text.subarray(offset).toString('utf8')).split('\n');
  offset = text.length;
  rest = lines.pop();
  for (const line of lines) {
    const exit = /^EXIT (\d+)$/.exec(line);
    if (exit) process.exit(Number(exit[1]));
    process.stdout.write(`${line}\n`);
  }
}, 20);
