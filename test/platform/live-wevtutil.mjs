/* global process, console */
// Windows only (the platforms workflow's Windows job, which runs as an administrator):
// WevtutilSource and the XML reader against the real wevtutil.exe. eventcreate writes events to
// the Application log (a runner has no OpenSSH server, so not to OpenSSH/Operational); the source
// must start after the newest event, hand on exactly the ones written after it, once, with the
// record id, channel, provider and time wevtutil printed. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWevtutilXml } from '../../dist/agent/envelopes/winevent.js';
import { CheckpointStore } from '../../dist/agent/sources/checkpoint.js';
import { WevtutilSource } from '../../dist/agent/sources/wevtutil.js';

const fail = (m) => {
  console.error(m);
  process.exit(1);
};
const write = (text) => execFileSync('eventcreate', ['/T', 'INFORMATION', '/ID', '100', '/L', 'APPLICATION', '/SO', 'connwatch-ci', '/D', text], { stdio: 'ignore' });

write('connwatch-ci before the source starts');
const real = execFileSync('wevtutil', ['qe', 'Application', '/rd:true', '/c:5', '/f:xml'], { encoding: 'utf8' });
const parsed = parseWevtutilXml(real);
if (parsed.length !== 5 || parsed.some((e) => e.recordId === undefined || e.time === undefined || e.channel !== 'Application' || !e.provider)) {
  fail(`wevtutil's XML not understood:\n${real.slice(0, 2000)}\n${JSON.stringify(parsed, null, 1)}`);
}
console.log(`parsed wevtutil's XML: records ${parsed.map((e) => e.recordId).join(', ')}`);

const checkpoints = new CheckpointStore(join(mkdtempSync(join(tmpdir(), 'cw-')), 'ck.json'));
await checkpoints.load();
const got = [];
const src = new WevtutilSource({ channels: ['Application'], checkpoints, intervalMs: 60_000, log: (l, m) => console.log(`${l}: ${m}`) });
await src.start(async (line) => void got.push(line));
const start = src.status().after.Application;
if (!(start >= parsed[0].recordId)) fail(`the source should begin after record ${parsed[0].recordId}, it begins after ${start}`);
if (got.length) fail(`events from before the start were handed on: ${got.map((l) => l.text).join('\n')}`);
write('connwatch-ci one');
write('connwatch-ci two');
await src.pollNow();
await src.pollNow();
await src.stop();
const ours = got.map((l) => JSON.parse(l.text)).filter((o) => o.Provider === 'connwatch-ci');
if (ours.length !== 2 || ours.some((o) => !(o.EventRecordID > start) || o.Channel !== 'Application' || typeof o.TimeCreated !== 'string')) {
  fail(`expected the two new events once each after record ${start}, got:\n${got.map((l) => l.text).join('\n')}`);
}
console.log(`WevtutilSource: records ${ours.map((o) => o.EventRecordID).join(', ')} after ${start}, once each`);
