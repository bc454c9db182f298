/* global process, console, setTimeout */
// macOS only (the platforms workflow's macOS job): OsLogSource against the real `log stream`.
// `logger` writes a line with a unique tag to the unified log; the source, following process
// "logger" with the same argv shape as sshd's OSLOG_COMMAND, must hand it on as an entry the
// router's oslog envelope understands. Run after `npm run build`.
import { spawnSync } from 'node:child_process';
import { OsLogSource } from '../../dist/agent/sources/oslog.js';
import { isOsLogEntry, parseOsLog } from '../../dist/agent/envelopes/oslog.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const got = [];
const src = new OsLogSource({
  command: ['log', 'stream', '--style', 'ndjson', '--level', 'info', '--predicate', 'process == "logger"'],
  log: (level, m) => console.log(`${level}: ${m}`),
});
await src.start(async (line) => void got.push(line));
await sleep(3000); // log stream needs a moment before it prints what is logged
const tag = `connwatch-ci-${process.pid}-${Date.now()}`;
spawnSync('logger', [tag]);
for (let i = 0; i < 150 && !got.some((l) => l.text.includes(tag)); i++) await sleep(100);
await src.stop();
const hit = got.find((l) => l.text.includes(tag));
if (!hit) {
  console.error(`log stream handed on no entry with ${tag}; ${got.length} others, e.g. ${got[0]?.text ?? '(none)'}`);
  process.exit(1);
}
const o = JSON.parse(hit.text);
const p = parseOsLog(o);
if (!isOsLogEntry(o) || p.ident !== 'logger' || p.time === undefined || !p.text.includes(tag) || hit.pid !== p.pid) {
  console.error(`not understood: ${hit.text}`);
  process.exit(1);
}
console.log(`OsLogSource: logger's entry came through (pid ${p.pid}, ${new Date(p.time).toISOString()}): ${p.text}`);
process.exit(0);
