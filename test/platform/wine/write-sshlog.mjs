/* global process, setTimeout */
// The Linux-side writer of the Wine lane: writes a plink -sshlog file the way plink does (opens
// it, then appends as the connection goes), into the Wine prefix, while connwatch runs under
// Wine. Usage: node write-sshlog.mjs MODE SOURCE DEST
//   MODE: new (create), overwrite (truncate an existing file: plink -logoverwrite),
//         wrap (SOURCE is a plink -v stderr capture: give it the -sshlog envelope: the
//         "=~=~=~ PuTTY log" header, "Event Log: " before each line, CRLF endings).
import { openSync, readFileSync, writeSync, closeSync, ftruncateSync } from 'node:fs';

const [mode, source, dest] = process.argv.slice(2);
if (!['new', 'overwrite', 'wrap'].includes(mode ?? '') || !source || !dest) {
  process.stderr.write('usage: node write-sshlog.mjs new|overwrite|wrap SOURCE DEST\n');
  process.exit(2);
}
let text = readFileSync(source, 'utf8');
if (mode === 'wrap') {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  text = ['=~=~=~=~=~=~=~=~=~=~=~= PuTTY log 2026.12.05 18:00:00 =~=~=~=~=~=~=~=~=~=~=~=', ...lines.map((l) => `Event Log: ${l}`)].join('\r\n') + '\r\n';
}
const fd = openSync(dest, mode === 'overwrite' ? 'r+' : 'a');
if (mode === 'overwrite') ftruncateSync(fd, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// plink opens the log at start and writes as it goes: the header first, then a line at a time
const parts = text.split(/(?<=\n)/);
await sleep(1500);
for (let i = 0; i < parts.length; i += 40) {
  writeSync(fd, parts.slice(i, i + 40).join(''));
  await sleep(30);
}
closeSync(fd);
