/**
 * The journal read three ways gives the same events: `journalctl -o json` lines routed as text,
 * the same entries decoded once by the source (RawLine.journal), and `journalctl -o export` read
 * line by line (as a live file source, with NUL bytes dropped, and replay, with them kept, deliver it). Real journal files, written by
 * systemd-journal-remote and read back by the real journalctl; lines split by the sources' own
 * LineSplitter. The router never writes into the line it is given.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseJournalLine } from '../../agent/envelopes/journal.js';
import type { Event } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { FileLines } from '../../agent/sources/file-lines.js';
import { LineSplitter } from '../../agent/sources/line-splitter.js';
import type { RawLine } from '../../agent/sources/raw-line.js';

const dir = mkdtempSync(join(tmpdir(), 'cw-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Export-format input for systemd-journal-remote; a Buffer message is written as a binary field. */
function exportOf(entries: Array<{ message: string | Buffer; ident: string; pid: number }>): Buffer {
  let t = 1_763_731_927_000_000;
  const parts: Buffer[] = [];
  for (const e of entries) {
    t += 1_000_000;
    parts.push(Buffer.from(`__REALTIME_TIMESTAMP=${t}\n__MONOTONIC_TIMESTAMP=${t / 1000}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_PID=${e.pid}\nSYSLOG_IDENTIFIER=${e.ident}\n`));
    if (typeof e.message === 'string') parts.push(Buffer.from(`MESSAGE=${e.message}\n`));
    else {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(e.message.length));
      parts.push(Buffer.from('MESSAGE\n'), len, e.message, Buffer.from('\n'));
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

const file = join(dir, 'test.journal');
const written = spawnSync('/lib/systemd/systemd-journal-remote', ['-o', file, '-'], {
  input: exportOf([
    { message: 'Connection from 192.0.2.7 port 50000 on 192.0.2.1 port 22 rdomain ""', ident: 'sshd', pid: 4101 },
    { message: 'Invalid user bob from 192.0.2.7 port 50000', ident: 'sshd', pid: 4101 },
    // control characters make journald store the message as a binary field
    { message: Buffer.from('Invalid user \u0007bell\nx from 192.0.2.8 port 50001'), ident: 'sshd-session', pid: 4102 },
    { message: 'Accepted publickey for ann from 192.0.2.9 port 50002 ssh2: ED25519 SHA256:abc', ident: 'sshd-session', pid: 4103 },
  ]),
});
const journalctl = (format: string): Buffer => spawnSync('journalctl', ['--file', file, '-o', format, '--no-pager'], { maxBuffer: 1 << 24 }).stdout;

function lines(data: Buffer): string[] {
  const s = new LineSplitter();
  return s.push(data).map((l) => l.text);
}

function raw(text: string, i: number, extra: Partial<RawLine> = {}): RawLine {
  return { sourceId: 'j', text, receivedAt: 0, position: { source: 'j', line: i + 1 }, ...extra };
}

/** What a person and a rule see of an event. */
const facts = (e: Event) => ({ kind: e.kind, program: e.program, pid: e.pid, time: e.time, host: e.host, user: e.user, message: e.raw.message, cursor: e.raw.cursor });

function routeAll(input: RawLine[]): Event[] {
  const r = new LineRouter();
  const out = input.flatMap((l) => r.route(l));
  return [...out, ...r.end()];
}

describe('the journal, read as JSON, as decoded entries and as export', () => {
  it('has real journal files to read (systemd-journal-remote, journalctl)', () => {
    expect(written.status, written.stderr?.toString()).toBe(0);
  });

  const json = lines(journalctl('json'));
  const fromJson = routeAll(json.map((t, i) => raw(t, i)));

  it('routes journalctl -o json lines, the cursor kept on the event and not written into the line', () => {
    expect(json).toHaveLength(4);
    const input = json.map((t, i) => raw(t, i));
    const before = JSON.stringify(input);
    const events = routeAll(input);
    expect(JSON.stringify(input)).toBe(before);
    // the control characters and the newline leave the third one to sshd's parser as unknown, in every format
    expect(events.map((e) => e.kind)).toEqual(['connect.start', 'auth.invalid-user', 'unknown', 'auth.success']);
    expect(events[2]!.raw.message).toBe('Invalid user \u0007bell\nx from 192.0.2.8 port 50001');
    expect(events.every((e) => typeof e.raw.cursor === 'string' && e.raw.cursor.startsWith('s='))).toBe(true);
  });

  it('gives the same events from entries the source decoded once', () => {
    const decoded = json.map((t, i) => {
      const parts = parseJournalLine(t)!;
      return raw('{"not":"parsed again"}', i, { journal: parts, envelope: 'journal-json', position: { source: 'j', line: i + 1, cursor: parts.cursor! } });
    });
    expect(routeAll(decoded).map(facts)).toEqual(fromJson.map(facts));
  });

  it('gives the same events from journalctl -o export read line by line, binary field included', () => {
    const exported = lines(journalctl('export'));
    expect(exported.some((l) => l === 'MESSAGE')).toBe(true); // the binary field is there
    const events = routeAll(exported.map((t, i) => raw(t, i)));
    expect(events.map(facts)).toEqual(fromJson.map(facts));
  });

  it('gives the same events from an export file read as replay reads it (NUL bytes kept)', () => {
    const saved = join(dir, 'saved.export');
    writeFileSync(saved, journalctl('export'));
    const lines = new FileLines(saved, { receivedAt: 0 });
    const input: RawLine[] = [];
    for (let l = lines.next(); l; l = lines.next()) input.push({ ...l, position: { source: 'j', line: input.length + 1 } });
    lines.close();
    expect(input.some((l) => l.text.includes('\u0000'))).toBe(true);
    expect(routeAll(input).map(facts)).toEqual(fromJson.map(facts));
  });

  it('ends an export entry that has no closing empty line at the end of input', () => {
    const exported = lines(journalctl('export'));
    while (exported.at(-1) === '') exported.pop();
    const events = routeAll(exported.map((t, i) => raw(t, i)));
    expect(events.map((e) => e.kind)).toEqual(fromJson.map((e) => e.kind));
  });
});
