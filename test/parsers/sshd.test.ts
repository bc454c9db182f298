/**
 * agent/parsers/sshd.ts on real and realistic input:
 *   - the sample file (expected events for every line; every pattern id has a sample);
 *   - every line of the real sshd captures in test/fixtures/sshd/ (0 unknown);
 *   - a large log built from those real messages with varied addresses, ports, users (hostile
 *     ones included), pids and times, in the syslog RFC 3339, traditional, journal JSON and bare
 *     envelopes: under 2 % unknown, and `host` is never anything but the client address put in.
 */
import { Prng } from '../../bench/prng.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { sshd } from '../../agent/parsers/sshd.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, '..', 'fixtures', 'sshd');
const BASE_TIME = Date.UTC(2026, 10, 21, 12, 0, 0);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Lines as a file source hands them on: split at LF, a CR before it removed. */
function readLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Bare sshd output (-e / -E) has no envelope: the source is configured as sshd, as the agent would be. */
function isBare(file: string): boolean {
  return /(?:^|\/)(?:sshd\.log|sshd-E\.log|sshd-E-[\w-]+\.log)$/.test(file);
}

function route(lines: readonly string[], bare: boolean, source = 'test'): Event[] {
  const router = new LineRouter(bare ? { program: 'sshd' } : {});
  return lines.flatMap((text, i) => router.route({ sourceId: source, text, receivedAt: BASE_TIME, position: { source, line: i + 1 } }));
}

describe('sshd samples', () => {
  const file = readSamples(join(here, 'sshd.samples.log'));
  checkSamples(sshd, file, 151);
});

describe('sshd on the real captures (test/fixtures/sshd)', () => {
  const files = filesUnder(FIXTURES).filter((f) => !f.endsWith('README.md'));

  it('finds the captures', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('maps every sshd line to a known kind', () => {
    const unknown: string[] = [];
    let sshdEvents = 0;
    for (const f of files) {
      for (const e of route(readLines(f), isBare(f), f)) {
        if (e.program === 'sshd') sshdEvents++;
        if (e.kind === 'unknown') unknown.push(`${relative(FIXTURES, f)}:${e.raw.line ?? '?'}: ${e.raw.text}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(sshdEvents).toBeGreaterThan(300);
  });

  it('reads the same auth.log identically in RFC 3339 and traditional format', () => {
    const strip = (e: Event) => ({ kind: e.kind, host: e.host, port: e.port, user: e.user, pid: e.pid, pattern: e.pattern, detail: e.detail });
    const a = route(readLines(join(FIXTURES, 'servers/syslog/auth.log')), false).map(strip);
    const b = route(readLines(join(FIXTURES, 'servers/syslog/auth.log.traditional')), false).map(strip);
    expect(b).toEqual(a);
  });
});

// --- a large realistic log -------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so the generated log is the same on every run. */
function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}

/** Real messages of the fixtures with the user, client address and ports made into placeholders. */
function templates(): string[] {
  const out = new Set<string>();
  for (const f of filesUnder(FIXTURES).filter((x) => !x.endsWith('README.md'))) {
    for (const line of readLines(f)) {
      const msg = isBare(f) ? line : /^\S+(?: +\d+ \d\d:\d\d:\d\d)? \S+ sshd(?:\[\d+\])?: (.*)$/.exec(line)?.[1];
      if (msg === undefined) continue;
      out.add(
        msg
          .replace(/(?<=(?:[Uu]ser |for |user=))(?:evil from 10\.0\.0\.1 port 22|odd user|10\.0\.0\.1|nosuchuser|rltest|cwtest)\b/g, '{U}')
          .replace(/(?<= on )127\.0\.0\.1 port \d+/, '{L}')
          .replace(/127\.0\.0\.1/g, '{A}')
          .replace(/(?<=\{A\} port )\d+/g, '{P}'),
      );
    }
  }
  return [...out];
}

const USERS = ['alice', 'bob', 'root', 'admin', 'oracle', 'ubuntu', 'deploy', 'john smith', '10.9.9.9', 'x from 10.9.9.9 port 22', 'user=root rhost=10.9.9.9', 'ünïcode', ''];
const FOREIGN = [
  'CRON[{PID}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
  'systemd-logind[512]: New session 42 of user alice.',
  'sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update',
];

interface Generated {
  text: string;
  /** The client address put into the line; undefined when the line came verbatim from the samples. */
  addr: string | undefined;
  bare: boolean;
}

/** Bare message lines of the sample file (other versions' wording, hostile names, one foreign line), verbatim. */
function sampleMessages(): string[] {
  return readSamples(join(here, 'sshd.samples.log'))
    .samples.map((s) => s.text)
    .filter((t) => !t.startsWith('{') && !/^(?:\d{4}-|[A-Z][a-z]{2} [ \d]\d )/.test(t));
}

function generate(count: number): Generated[] {
  const rnd = prng(20261121);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const tpl = templates();
  const verbatim = sampleMessages();
  const out: Generated[] = [];
  let t = BASE_TIME;
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 4000);
    const addr = rnd() < 0.15 ? `2001:db8::${Math.floor(rnd() * 65535).toString(16)}` : `${pick(['192.0.2', '198.51.100', '203.0.113'])}.${1 + Math.floor(rnd() * 254)}`;
    const pid = 1000 + Math.floor(rnd() * 60000);
    const user = pick(USERS);
    const envelope = pick(['rfc3339', 'rfc3339', 'traditional', 'journal', 'bare'] as const);
    if (envelope !== 'bare' && envelope !== 'journal' && rnd() < 0.05) {
      const foreign = pick(FOREIGN).replace('{PID}', String(pid));
      out.push({ text: `${new Date(t).toISOString().replace('Z', '+00:00')} vm ${foreign}`, addr: '', bare: false });
      continue;
    }
    const fromSamples = rnd() < 0.1;
    const msg = (fromSamples ? pick(verbatim) : pick(tpl))
      .replaceAll('{U}', user)
      .replaceAll('{A}', addr)
      .replaceAll('{P}', String(1024 + Math.floor(rnd() * 64000)))
      .replaceAll('{L}', '192.0.2.1 port 22');
    const ident = rnd() < 0.3 ? 'sshd-session' : 'sshd';
    const d = new Date(t);
    const text =
      envelope === 'rfc3339'
        ? `${d.toISOString().replace('Z', '+00:00')} vm ${ident}[${pid}]: ${msg}`
        : envelope === 'traditional'
          ? `${d.toUTCString().slice(8, 11)} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} vm ${ident}[${pid}]: ${msg}`
          : envelope === 'journal'
            ? JSON.stringify({ __CURSOR: `s=1;i=${i}`, __REALTIME_TIMESTAMP: String(t * 1000), _PID: String(pid), SYSLOG_IDENTIFIER: ident, MESSAGE: msg })
            : `${msg}\r`;
    out.push({ text, addr: fromSamples ? undefined : addr, bare: envelope === 'bare' });
  }
  return out;
}

describe('sshd on a large realistic log', () => {
  const lines = generate(20_000);

  it('leaves under 2 % of the lines unknown, and never takes a user name for the host', () => {
    expect(lines.length).toBe(20_000);
    const syslogRouter = new LineRouter();
    const bareRouter = new LineRouter({ program: 'sshd' });
    let unknown = 0;
    const wrongHost: string[] = [];
    lines.forEach((g, i) => {
      const events = (g.bare ? bareRouter : syslogRouter).route({ sourceId: 'big', text: g.text, receivedAt: BASE_TIME, position: { source: 'big', line: i + 1 } });
      for (const e of events) {
        if (e.kind === 'unknown') unknown++;
        // the only addresses in a line are the client's, the server's (192.0.2.1) and listen addresses
        if (g.addr !== undefined && e.host !== undefined && e.host !== g.addr) wrongHost.push(`${e.host} <- ${g.text}`);
      }
    });
    const share = unknown / lines.length;
    console.log(`sshd big log: ${lines.length} lines, ${unknown} unknown (${(share * 100).toFixed(3)} %)`);
    expect(share).toBeLessThan(0.02);
    expect(wrongHost.slice(0, 20)).toEqual([]);
  });
});
