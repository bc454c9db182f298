/**
 * OsLogSource (sources/oslog.ts): sshd from macOS's unified log through `log stream --style
 * ndjson`. macOS cannot run here, so `log` is log-standin.mjs, installed as an executable named
 * `log` in a directory of the test's own and given as the command's program (the arguments are
 * OSLOG_COMMAND's own): it prints `log`'s header line, then the entries appended to a file, in
 * the NDJSON shape of oslog-sshd.ndjson (every field a real entry carries, OpenSSH's texts), and
 * answers `log show --start`. What is real: the spawn (no shell), the line splitting, the entry
 * check, the restart with backoff and the catch-up after it, and the router and sshd parser the
 * lines go through.
 */
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineRouter } from '../../agent/parsers/router.js';
import { OSLOG_COMMAND } from '../../agent/platform/macos.js';
import { logShowArgs, logShowStart, OsLogSource } from '../../agent/sources/oslog.js';
import type { RawLine } from '../../agent/sources/raw-line.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURE = readFileSync(join(HERE, 'oslog-sshd.ndjson'), 'utf8').split('\n').filter((l) => l.startsWith('{'));
const dir = mkdtempSync(join(tmpdir(), 'connwatch-oslog-'));
const LOG = join(dir, 'log');
if (process.platform !== 'win32') writeFileSync(LOG, `#!/bin/sh\nexec '${process.execPath}' '${join(HERE, 'log-standin.mjs')}' "$@"\n`);
if (process.platform !== 'win32') chmodSync(LOG, 0o755);
const sources: OsLogSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** `log`'s timestamp: local time, microseconds, offset like -0500. */
function osStamp(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}250${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}
/** Fixture entry i (0-3) at time ms, with another message and pid when given. */
function entry(i: number, ms: number, message?: string, pid?: number): string {
  const o = JSON.parse(FIXTURE[i]!) as Record<string, unknown>;
  o.timestamp = osStamp(ms);
  if (message) o.eventMessage = message;
  if (pid) o.processID = pid;
  return JSON.stringify(o).replaceAll('/', '\\/'); // `log` escapes slashes
}
const until = async (what: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

// the stand-in is started through a /bin/sh script named `log`: not on Windows (the macOS runner
// also runs the real `log stream` through this source: test/platform/live-oslog.mjs)
describe.skipIf(process.platform === 'win32')('OsLogSource (`log` stand-in)', () => {
  it('hands on each entry once as an sshd line; after `log stream` dies it restarts and fills the gap with `log show`', async () => {
    const entries = join(dir, 'entries.ndjson');
    const calls = join(dir, 'calls.jsonl');
    writeFileSync(entries, '');
    writeFileSync(calls, '');
    process.env.OSLOG_ENTRIES = entries;
    process.env.OSLOG_CALLS = calls;
    const got: RawLine[] = [];
    const logs: string[] = [];
    const problems: string[] = [];
    const src = new OsLogSource({ command: [LOG, ...OSLOG_COMMAND.slice(1)], retryMs: 50, log: (level, m) => logs.push(`${level} ${m}`), onProblem: (e) => problems.push(e.message) });
    sources.push(src);
    await src.start(async (l) => void got.push(l));
    await until(() => readFileSync(calls, 'utf8').includes('stream'));
    await new Promise((r) => setTimeout(r, 100)); // the stand-in has taken the file's size as its start

    const t0 = Date.now() - 60_000;
    appendFileSync(entries, [entry(0, t0), entry(1, t0 + 400), entry(2, t0 + 1000)].map((l) => `${l}\n`).join(''));
    await until(() => got.length === 3);
    expect(got.map((l) => [l.program, l.pid, l.sourceId, l.envelope])).toEqual([
      ['sshd', 4242, 'oslog:sshd', 'auto'],
      ['sshd', 4242, 'oslog:sshd', 'auto'],
      ['sshd', 4301, 'oslog:sshd', 'auto'],
    ]);
    expect(logs).toContainEqual(expect.stringMatching(/^debug oslog:sshd: Filtering the log data using "process == "sshd" OR process == "sshd-session""$/));

    // `log stream` dies right after entry A; entry B is logged while it is down
    const a = entry(3, t0 + 2000, undefined, 4410);
    const b = entry(3, t0 + 3000, 'Accepted publickey for bob from 192.168.1.21 port 51300 ssh2: ED25519 SHA256:VbV5t/i+GvIIf1PxZa2cS/E/r+O4XVIHd/ULyOg+YLs', 4411);
    appendFileSync(entries, `${a}\nEXIT 1\n${b}\n`);
    await until(() => got.length === 5);
    await until(() => readFileSync(calls, 'utf8').trim().split('\n').length === 3);
    await new Promise((r) => setTimeout(r, 100)); // the new stand-in has taken the file's size as its start
    const c = entry(0, t0 + 4000, 'Invalid user guest from 203.0.113.10 port 40100', 4500);
    appendFileSync(entries, `${c}\n`);
    await until(() => got.length === 6);
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toHaveLength(6); // nothing twice, although `log show` printed everything since t0's second
    expect(got.map((l) => l.pid)).toEqual([4242, 4242, 4301, 4410, 4411, 4500]);

    const argv = readFileSync(calls, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    expect(argv.map((x) => x[0]).sort()).toEqual(['show', 'stream', 'stream']); // the new stream, and the gap read by show
    expect(argv[0]).toEqual(OSLOG_COMMAND.slice(1));
    expect(argv.find((x) => x[0] === 'show')).toEqual(['show', '--style', 'ndjson', '--predicate', 'process == "sshd" OR process == "sshd-session"', '--info', '--start', logShowStart(t0 + 2000)]);
    expect(problems).toEqual(['log stream ended (exit code 1); sshd\'s unified log is not being read.'.replace(/^log/, LOG)]);
    expect(logs).toContainEqual("info oslog:sshd: reading sshd's unified log again");
    expect(src.status()).toMatchObject({ running: true, entriesDelivered: 6, restarts: 1, problem: undefined });

    // through the router: sshd events at the entries' own times
    const router = new LineRouter();
    const events = got.flatMap((l) => router.route(l));
    expect(events.map((e) => [e.kind, e.user, e.pid])).toEqual([
      ['auth.invalid-user', 'admin', 4242],
      expect.arrayContaining([4242]),
      expect.arrayContaining([4301]),
      ['auth.success', 'ann', 4410],
      ['auth.success', 'bob', 4411],
      ['auth.invalid-user', 'guest', 4500],
    ]);
    expect(events[3]!.time).toBe(t0 + 2000);
    expect(events[3]!.timeFrom).toBe('line');
  });

  it('`log` missing (not macOS) is one clear problem, and stop() ends the retries', async () => {
    const problems: string[] = [];
    const src = new OsLogSource({ command: [join(dir, 'no-such-log'), 'stream'], retryMs: 20, log: () => undefined, onProblem: (e) => problems.push(`${e.message} ${e.hint ?? ''}`) });
    sources.push(src);
    await src.start(async () => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(problems).toEqual([expect.stringMatching(/no-such-log was not found; sshd's unified log is not being read\. This source is for macOS/)]);
    expect(src.status().restarts).toBeGreaterThan(1);
  });

  it('builds `log show` from the stream argv: --level dropped, --info and the local start second added', () => {
    const at = new Date(2026, 4, 7, 19, 48, 34, 701).getTime();
    expect(logShowStart(at)).toBe('2026-05-07 19:48:34');
    expect(logShowArgs(OSLOG_COMMAND, at)).toEqual(['show', '--style', 'ndjson', '--predicate', 'process == "sshd" OR process == "sshd-session"', '--info', '--start', '2026-05-07 19:48:34']);
  });
});
