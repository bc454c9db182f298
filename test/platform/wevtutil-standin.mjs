/* global process */
// A stand-in for Windows' wevtutil.exe (Wine 8's wevtutil is a stub that prints nothing): answers
// `qe CHANNEL [/rd:true] [/c:N] [/q:*[System[(EventRecordID>N)]]] /f:xml` from the events in the
// file $WEVTUTIL_EVENTS (wevtutil's own XML, one event per line), as wevtutil does: oldest first,
// newest first with /rd:true, at most N with /c:N. Each call's argv is appended to $WEVTUTIL_CALLS.
// A channel with no event in the file does not exist: wevtutil's message and exit code 15007.
import { appendFileSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (process.env.WEVTUTIL_CALLS) appendFileSync(process.env.WEVTUTIL_CALLS, `${JSON.stringify(args)}\n`);
if (args[0] !== 'qe' || !args.includes('/f:xml')) {
  process.stderr.write('The parameter is incorrect.\r\n');
  process.exit(87);
}
const channel = args[1];
const events = readFileSync(process.env.WEVTUTIL_EVENTS, 'utf8')
  .split(/\r?\n/)
  .filter((l) => l.includes(`<Channel>${channel}</Channel>`))
  .map((xml) => ({ xml, id: Number(/<EventRecordID>(\d+)</.exec(xml)[1]) }));
if (events.length === 0) {
  process.stderr.write('Failed to read events. The specified channel could not be found.\r\n');
  process.exit(15007 & 0xff);
}
let list = events.sort((a, b) => a.id - b.id);
const q = args.find((a) => a.startsWith('/q:'));
if (q) {
  const m = /^\/q:\*\[System\[\(EventRecordID>(\d+)\)\]\]$/.exec(q);
  if (!m) {
    process.stderr.write('The specified query is invalid.\r\n');
    process.exit(15001 & 0xff);
  }
  list = list.filter((e) => e.id > Number(m[1]));
}
if (args.includes('/rd:true')) list.reverse();
const c = args.find((a) => a.startsWith('/c:'));
if (c) list = list.slice(0, Number(c.slice(3)));
process.stdout.write(list.map((e) => `${e.xml}\r\n`).join(''));
