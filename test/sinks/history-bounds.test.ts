/**
 * The history is bounded in bytes, private and never fatal (issue 19): evidence cut, the whole
 * file rotated past its bound, 0600 under umask 022, a symlink at its name refused, a read-only
 * state directory reported once and caught up on when it is writable again.
 */
import { lstatSync, mkdirSync, mkdtempSync, unlinkSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import { HistorySink, readHistory, recordedIds } from '../../agent/sinks/history.js';

const alert = (id: string, text: string): Alert => ({
  id,
  rule: 'r',
  severity: 'warning',
  category: 'other',
  title: 't',
  message: 'm',
  remedy: 'x',
  program: 'sshd',
  time: 1,
  key: '',
  count: 1,
  evidence: [{ text, source: '/var/log/auth.log' }],
});

describe('history bounds', () => {
  it('cuts evidence, rotates the whole file past maxBytes, and keeps reading both files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-hist-'));
    const file = join(dir, 'alerts.jsonl');
    const h = new HistorySink(file, 16 * 1024, 1000, () => undefined);
    for (let i = 0; i < 22; i++) await h.deliver(alert(`id${i}`, 'x'.repeat(1_000_000)));
    expect(statSync(file).size + statSync(`${file}.1`).size).toBeLessThan(2 * 16 * 1024 + 3000);
    expect(readHistory(file)[0]!.evidence[0]!.text.length).toBeLessThan(2100);
    expect(recordedIds(file).at(-1)).toBe('id21');
  });

  it('is 0600 under umask 022, fixes a 0644 file, and refuses a symlink at its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-hist-'));
    const old = process.umask(0o022);
    try {
      const file = join(dir, 'alerts.jsonl');
      writeFileSync(file, '', { mode: 0o644 });
      const h = new HistorySink(file, 1 << 20, 1000, () => undefined);
      await h.deliver(alert('a', 'line'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const target = join(dir, 'target');
      writeFileSync(target, 'secret\n');
      const link = join(dir, 'linked.jsonl');
      symlinkSync(target, link);
      const said: string[] = [];
      const l = new HistorySink(link, 1 << 20, 1000, (_lvl, m) => said.push(m));
      await l.deliver(alert('b', 'line'));
      expect(readFileSync(target, 'utf8')).toBe('secret\n');
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(said.join('\n')).toMatch(/symbolic link/);
    } finally {
      process.umask(old);
    }
  });

  it('an unwritable state directory is reported once; the records are written when it is writable again', async () => {
    // (root writes into a chmod-ed directory anyway, so the unwritable directory is a file in its way)
    const dir = mkdtempSync(join(tmpdir(), 'cw-hist-'));
    const file = join(dir, 'missing-dir', 'alerts.jsonl');
    writeFileSync(join(dir, 'missing-dir'), 'a file where the directory should be');
    const said: string[] = [];
    const h = new HistorySink(file, 1 << 20, 1000, (_lvl, m) => said.push(m));
    for (let i = 0; i < 5; i++) await h.deliver(alert(`id${i}`, 'line'));
    expect(said.length).toBe(1);
    expect(h.pending).toBe(5);
    unlinkSync(join(dir, 'missing-dir'));
    mkdirSync(join(dir, 'missing-dir'));
    await h.deliver(alert('id5', 'line'));
    expect(h.pending).toBe(0);
    expect(recordedIds(file)).toEqual(['id0', 'id1', 'id2', 'id3', 'id4', 'id5']);
    expect(said.at(-1)).toMatch(/written again/);
  });
});
