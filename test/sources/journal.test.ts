/**
 * JournalSource against the real journalctl, reading real journal files written by
 * systemd-journal-remote (Debian package systemd-journal-remote) from export-format entries:
 * binary-safe fields, live entries, cursor across a restart, identifier/unit matches, and the
 * real "insufficient permissions" message of journalctl run as user nobody.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointStore } from '../../agent/sources/checkpoint.js';
import { JournalSource, journalArgs, cursorTime, JOURNAL_FORBIDDEN_HINT } from '../../agent/sources/journal.js';
import { isJournalEntry, parseJournal } from '../../agent/envelopes/journal.js';
import { Collector, tempDir, waitFor } from './helpers.js';

const REMOTE = '/lib/systemd/systemd-journal-remote';

interface Entry {
  message: string | Buffer;
  ident?: string;
  unit?: string;
  pid?: number;
}

let clock = Date.now() * 1000;
function exportFormat(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    clock += 1000;
    const fields: Array<[string, string | Buffer]> = [
      ['__REALTIME_TIMESTAMP', String(clock)],
      ['__MONOTONIC_TIMESTAMP', String(Math.floor(clock / 1000))],
      ['_BOOT_ID', '0123456789abcdef0123456789abcdef'],
      ['_PID', String(e.pid ?? 4242)],
      ['MESSAGE', e.message],
    ];
    if (e.ident) fields.push(['SYSLOG_IDENTIFIER', e.ident]);
    if (e.unit) fields.push(['_SYSTEMD_UNIT', e.unit]);
    for (const [k, v] of fields) {
      if (typeof v === 'string') parts.push(Buffer.from(`${k}=${v}\n`));
      else {
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(v.length));
        parts.push(Buffer.from(`${k}\n`), len, v, Buffer.from('\n'));
      }
    }
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function appendJournal(file: string, entries: Entry[]): void {
  const r = spawnSync(REMOTE, ['-o', file, '-'], { input: exportFormat(entries) });
  if (r.status !== 0) throw new Error(`systemd-journal-remote failed: ${r.stderr.toString()}`);
}

function messages(out: Collector): string[] {
  return out.lines.map((l) => {
    const o = JSON.parse(l.text) as Record<string, unknown>;
    expect(isJournalEntry(o)).toBe(true);
    return parseJournal(o).text;
  });
}

async function source(file: string, ck: string, extra: Partial<ConstructorParameters<typeof JournalSource>[0]> = {}) {
  const store = new CheckpointStore(ck, { flushMs: 50 });
  await store.load();
  const out = new Collector();
  const j = new JournalSource({ scope: 'system', extraArgs: ['--file', file], checkpoints: store, log: () => undefined, onProblem: (e) => out.problems.push(e), ...extra });
  await j.start(out.sink);
  return { j, out, store };
}

describe('JournalSource', () => {
  it('needs systemd-journal-remote to write test journals (apt-get install systemd-journal-remote)', () => {
    expect(existsSync(REMOTE)).toBe(true);
  });

  it('reads real journal entries (binary-safe fields too), follows new ones, and resumes after its cursor', async () => {
    const dir = tempDir();
    const file = join(dir, 'remote.journal');
    const ck = join(dir, 'ck.json');
    appendJournal(file, [
      { message: 'Accepted password for alice from 127.0.0.1 port 5555 ssh2', ident: 'sshd', pid: 100 },
      { message: Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0x01]), ident: 'sshd', pid: 100 },
    ]);
    const a = await source(file, ck, { fromStart: true });
    await waitFor(() => a.out.lines.length >= 2, 'history');
    appendJournal(file, [{ message: 'live one', ident: 'sshd' }]);
    await waitFor(() => a.out.lines.length >= 3, 'live entry');
    expect(messages(a.out)).toEqual(['Accepted password for alice from 127.0.0.1 port 5555 ssh2', 'bad \uFFFD\u0001', 'live one']);
    expect(a.out.lines[0]).toMatchObject({ envelope: 'journal-json', pid: 100, sourceId: 'journal:system' });
    expect(a.out.lines[2]?.position.cursor).toMatch(/^s=/);
    expect(a.j.status().cursor).toBe(a.out.lines[2]?.position.cursor);
    await a.j.stop();

    appendJournal(file, [
      { message: 'while stopped 1', ident: 'sshd' },
      { message: 'while stopped 2', ident: 'sshd' },
    ]);
    const b = await source(file, ck);
    await waitFor(() => b.out.lines.length >= 2, 'entries written while stopped');
    appendJournal(file, [{ message: 'after restart', ident: 'sshd' }]);
    await waitFor(() => b.out.lines.length >= 3, 'live entry after restart');
    await new Promise((r) => setTimeout(r, 300));
    await b.j.stop();
    expect(messages(b.out)).toEqual(['while stopped 1', 'while stopped 2', 'after restart']);
  });

  it('starts at the end on first start, and matches identifiers OR units', async () => {
    const dir = tempDir();
    const file = join(dir, 'remote.journal');
    appendJournal(file, [{ message: 'old history', ident: 'sshd' }]);
    const a = await source(file, join(dir, 'ck.json'), { identifiers: ['sshd'], units: ['remmina.service'] });
    // start() resolves once journalctl runs, not once it has found the end of the journal: under
    // load, entries written before that are history to it. So: write until one comes through.
    for (let i = 0; a.out.lines.length === 0; i++) {
      if (i === 100) throw new Error('journalctl never followed the journal');
      appendJournal(file, [{ message: `ready ${i}`, ident: 'sshd' }]);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ready = a.out.lines.length;
    appendJournal(file, [
      { message: 'from sshd', ident: 'sshd' },
      { message: 'from cron', ident: 'CRON' },
      { message: 'from the remmina unit', ident: 'remmina', unit: 'remmina.service' },
      { message: 'last', ident: 'sshd' },
    ]);
    await waitFor(() => a.out.lines.length >= ready + 3, 'three matching entries');
    await new Promise((r) => setTimeout(r, 300));
    await a.j.stop();
    const seen = messages(a.out);
    expect(seen.slice(0, ready).every((m) => m.startsWith('ready '))).toBe(true);
    expect(seen.slice(ready)).toEqual(['from sshd', 'from the remmina unit', 'last']);
  });

  it('reports JOURNAL_FORBIDDEN once, with the fix, when journalctl may not read the journal', async () => {
    const dir = tempDir();
    const jdir = join(dir, 'journal');
    spawnSync('mkdir', [jdir]);
    appendJournal(join(jdir, 'remote.journal'), [{ message: 'secret', ident: 'sshd' }]);
    chmodSync(join(jdir, 'remote.journal'), 0o640);
    // The real journalctl, run as nobody (tests run as root, whom no permission stops).
    const wrapper = join(dir, 'journalctl-as-nobody');
    writeFileSync(wrapper, '#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups -- journalctl "$@"\n', { mode: 0o755 });
    const a = await source('', join(dir, 'ck.json'), { journalctl: wrapper, extraArgs: ['--directory', jdir], retryMs: 200 });
    await waitFor(() => a.out.problems.length >= 1, 'the problem report');
    await new Promise((r) => setTimeout(r, 1000)); // a few restarts: still one report
    await a.j.stop();
    expect(a.out.problems.map((p) => p.code)).toEqual(['JOURNAL_FORBIDDEN']);
    expect(a.out.problems[0]?.message).toMatch(/insufficient permissions|Permission denied|No journal files/);
    expect(a.out.problems[0]?.hint).toBe(JOURNAL_FORBIDDEN_HINT);
    expect(a.out.lines).toEqual([]);
  });

  it('continues from the cursor time when journalctl cannot seek to the saved cursor', async () => {
    const dir = tempDir();
    const file = join(dir, 'remote.journal');
    const ck = join(dir, 'ck.json');
    const t = (Math.floor(clock / 1e6) + 2) * 1e6; // after the old entry, before the new ones
    appendJournal(file, [{ message: 'older than the cursor', ident: 'sshd' }]);
    clock = t + 1000;
    appendJournal(file, [{ message: 'newer 1', ident: 'sshd' }, { message: 'newer 2', ident: 'sshd' }]);
    writeFileSync(ck, JSON.stringify({ version: 1, entries: { 'journal:system': { v: 1, cursor: `garbage;t=${t.toString(16)}` } } }));
    const a = await source(file, ck);
    await waitFor(() => a.out.lines.length >= 2, 'entries after the cursor time');
    await new Promise((r) => setTimeout(r, 300));
    await a.j.stop();
    expect(messages(a.out)).toEqual(['newer 1', 'newer 2']);
  });

  it('reports a missing journalctl as SOURCE_FAILED and keeps retrying', async () => {
    const dir = tempDir();
    const a = await source(join(dir, 'x.journal'), join(dir, 'ck.json'), { journalctl: join(dir, 'no-such-journalctl'), retryMs: 100 });
    await waitFor(() => a.j.status().restarts >= 2, 'two retries');
    await a.j.stop();
    expect(a.out.problems.map((p) => p.code)).toEqual(['SOURCE_FAILED']);
    expect(a.out.problems[0]?.message).toContain('was not found');
  });

  it('builds the journalctl argv without a shell: scope, position, OR-ed matches', () => {
    expect(journalArgs({ scope: 'user', identifiers: ['remmina'], units: ['x.service'] }, { cursor: 's=1;i=2' })).toEqual([
      '-f', '-o', 'json', '--no-pager', '--user', '--after-cursor=s=1;i=2', 'SYSLOG_IDENTIFIER=remmina', '+', '_SYSTEMD_USER_UNIT=x.service',
    ]);
    expect(journalArgs({ scope: 'system', identifiers: ['sshd', 'sshd-session'] }, {})).toEqual([
      '-f', '-o', 'json', '--no-pager', '--system', '--lines=0', 'SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session',
    ]);
    expect(journalArgs({ scope: 'system', extraArgs: ['--file', '/x'] }, { since: 1700000000 })).toEqual([
      '-f', '-o', 'json', '--no-pager', '--since=@1700000000', '--lines=all', '--file', '/x',
    ]);
    expect(cursorTime('s=0340;i=1;b=0123;m=1a1fe7fa8e8;t=660ca22abcc4b;x=6bb3')).toBe(Math.floor(0x660ca22abcc4b / 1e6));
  });
});
