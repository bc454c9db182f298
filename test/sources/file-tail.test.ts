/**
 * FileTail on real files, really written, renamed, truncated and deleted; every test asserts
 * the exact lines delivered (the cases Vector, Fluent Bit and Filebeat test).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Collector, numbered, sleep, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';
import { TRUNCATION_MARKER } from '../../agent/sources/line-splitter.js';

const running: TailHarness[] = [];
async function tailOf(...args: Parameters<typeof startTail>): Promise<TailHarness> {
  const h = await startTail(...args);
  running.push(h);
  return h;
}
afterEach(async () => {
  for (const h of running.splice(0)) await h.tail.stop();
});

const lines = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');

describe('FileTail', () => {
  it('delivers appended lines, empty lines, CRLF and invalid UTF-8 exactly', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { out } = await tailOf(f, join(dir, 'ck.json'), { fromStart: true });
    appendFileSync(f, Buffer.concat([Buffer.from('first\n\nsecond\r\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' end\n\n')]));
    await waitFor(() => out.lines.length >= 5, '5 lines');
    appendFileSync(f, 'last\n');
    await waitFor(() => out.lines.length >= 6, '6 lines');
    expect(out.raw()).toEqual(['first', '', 'second', 'bad \uFFFD\uFFFD end', '', 'last']);
    expect(out.lines[0]?.position).toMatchObject({ file: f, offset: 0, line: 1 });
    expect(out.lines[2]?.position.offset).toBe(7);
  });

  it('spaces its safety scans out while all is quiet, and comes back to pollMs on a change', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { tail, out } = await tailOf(f, join(dir, 'ck.json'), { fromStart: true, pollMs: 50, maxPollMs: 400 });
    // quiet: 50 → 100 → 200 → 400 ms, and no further
    await waitFor(() => tail.status().safetyScanMs === 400, 'the pause to reach maxPollMs', 5000);
    await sleep(1000);
    expect(tail.status().safetyScanMs).toBe(400);
    appendFileSync(f, 'news\n');
    await waitFor(() => out.lines.length === 1, 'the line');
    expect(tail.status().safetyScanMs).toBe(50);
    expect(out.raw()).toEqual(['news']);
  });

  it('keeps polling at pollMs when it has no watcher to rely on', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { tail, out } = await tailOf(f, join(dir, 'ck.json'), { fromStart: true, pollMs: 50, maxPollMs: 400, watch: false });
    await sleep(800);
    expect(tail.status().safetyScanMs).toBe(50);
    appendFileSync(f, 'news\n');
    await waitFor(() => out.lines.length === 1, 'the line', 2000);
  });

  it('starts at the end of an existing file on first start, and sees a waiting prompt there', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, 'old 1\nold 2\nStore key in cache? (y/n) ');
    const { out } = await tailOf(f, join(dir, 'ck.json'), { partialFlushMs: 100 });
    await waitFor(() => out.lines.length >= 1, 'the prompt');
    expect(out.lines[0]).toMatchObject({ text: 'Store key in cache? (y/n) ', partial: true });
    appendFileSync(f, 'y\nnew 1\n');
    await waitFor(() => out.lines.length >= 3, 'rest');
    expect(out.lines.map((l) => [l.text, l.partial ?? false, l.continuation ?? false])).toEqual([
      ['Store key in cache? (y/n) ', true, false],
      ['y', false, true],
      ['new 1', false, false],
    ]);
  });

  it('caps a very long line with a marker and keeps its neighbours', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { out } = await tailOf(f, join(dir, 'ck.json'), { maxLineBytes: 100 });
    appendFileSync(f, `before\n${'x'.repeat(200_000)}\nafter\n`);
    await waitFor(() => out.lines.length >= 3, '3 lines');
    expect(out.raw()[0]).toBe('before');
    expect(out.raw()[1]).toBe(`${'x'.repeat(100)}${TRUNCATION_MARKER}199900 bytes dropped]`);
    expect(out.raw()[2]).toBe('after');
    expect(out.lines).toHaveLength(3);
  });

  it('reads all lines, in order, after truncation to zero', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { out } = await tailOf(f, join(dir, 'ck.json'));
    appendFileSync(f, lines(numbered(1, 10)));
    await waitFor(() => out.lines.length >= 10, '10 lines');
    truncateSync(f, 0);
    appendFileSync(f, lines(numbered(11, 15)));
    await waitFor(() => out.lines.length >= 15, '15 lines');
    expect(out.raw()).toEqual(numbered(1, 15));
  });

  it('handles copytruncate with a stale writer that keeps its offset: no NUL bytes, no garbage', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const fd = openSync(f, 'w'); // no O_APPEND: after truncation it writes past a hole
    try {
      const { out } = await tailOf(f, join(dir, 'ck.json'), { fromStart: true });
      writeSync(fd, lines(numbered(1, 20)));
      await waitFor(() => out.lines.length >= 20, '20 lines');
      copyFileSync(f, `${f}.1`);
      truncateSync(f, 0);
      // The writer's next write lands at its old offset: the file regrows past our offset at once.
      writeSync(fd, lines(numbered(21, 25)));
      await waitFor(() => out.lines.length >= 25, '25 lines');
      writeSync(fd, lines(numbered(26, 27)));
      await waitFor(() => out.lines.length >= 27, '27 lines');
      expect(out.raw()).toEqual(numbered(1, 27));
      expect(out.raw().join('')).not.toContain('\0');
      expect(statSync(f).size).toBeGreaterThan(200); // the hole is really there
    } finally {
      closeSync(fd);
    }
  });

  it('follows rename + create and still reads unread lines and late writes of the old writer', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const fd = openSync(f, 'a');
    try {
      const { out } = await tailOf(f, join(dir, 'ck.json'), { fromStart: true, rotatedQuietMs: 3000 });
      writeSync(fd, lines(numbered(1, 5, 'old')));
      await waitFor(() => out.lines.length >= 5, '5 lines');
      writeSync(fd, lines(numbered(6, 8, 'old'))); // unread when the rotation happens
      renameSync(f, `${f}.1`);
      writeFileSync(f, lines(numbered(1, 3, 'new')));
      await waitFor(() => out.raw().includes('new 3'), 'the new file');
      writeSync(fd, lines(numbered(9, 10, 'old'))); // late writes to the renamed file
      await waitFor(() => out.lines.length >= 13, '13 lines');
      const got = out.raw();
      expect(got.filter((l) => l.startsWith('old'))).toEqual(numbered(1, 10, 'old'));
      expect(got.filter((l) => l.startsWith('new'))).toEqual(numbered(1, 3, 'new'));
      expect(got.indexOf('old 8')).toBeLessThan(got.indexOf('new 1')); // the old file's rest comes first
      expect(got).toHaveLength(13);
    } finally {
      closeSync(fd);
    }
  });

  it('reads a file deleted and recreated, also when the inode number is reused across a restart', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, '');
    const h1 = await tailOf(f, ck);
    appendFileSync(f, lines(numbered(1, 3, 'first')));
    await waitFor(() => h1.out.lines.length >= 3, 'first lines');
    unlinkSync(f);
    writeFileSync(f, lines(numbered(1, 2, 'second')));
    await waitFor(() => h1.out.lines.length >= 5, 'second file');
    expect(h1.out.raw()).toEqual([...numbered(1, 3, 'first'), ...numbered(1, 2, 'second')]);
    await h1.tail.stop();
    running.splice(running.indexOf(h1), 1);

    // While stopped: delete and recreate with more bytes than the saved offset; ext4 hands the
    // freed inode number straight to the new file.
    const inoBefore = statSync(f).ino;
    unlinkSync(f);
    writeFileSync(f, lines(numbered(1, 6, 'third-generation')));
    const reused = statSync(f).ino === inoBefore;
    const h2 = await tailOf(f, ck);
    appendFileSync(f, 'after restart\n');
    await waitFor(() => h2.out.lines.length >= 7, 'third file');
    expect(h2.out.raw()).toEqual([...numbered(1, 6, 'third-generation'), 'after restart']);
    expect(typeof reused).toBe('boolean');
  });

  it('picks up a file that appears later in a directory that appears later', async () => {
    const dir = tempDir();
    const f = join(dir, 'not', 'yet', 'there.log');
    const { out } = await tailOf(f, join(dir, 'ck.json'));
    expect(out.problems.map((p) => p.code)).toEqual(['SOURCE_MISSING']);
    mkdirSync(join(dir, 'not', 'yet'), { recursive: true });
    writeFileSync(f, lines(['was there from the start']));
    appendFileSync(f, lines(['appended']));
    await waitFor(() => out.lines.length >= 2, '2 lines');
    expect(out.raw()).toEqual(['was there from the start', 'appended']);
    expect(out.problems).toHaveLength(1);
  });

  it('follows a symlink whose target changes', async () => {
    const dir = tempDir();
    const link = join(dir, 'current.log');
    writeFileSync(join(dir, 'a.log'), '');
    symlinkSync(join(dir, 'a.log'), link);
    const { out } = await tailOf(link, join(dir, 'ck.json'));
    appendFileSync(join(dir, 'a.log'), lines(['a 1', 'a 2']));
    await waitFor(() => out.lines.length >= 2, 'a lines');
    writeFileSync(join(dir, 'b.log'), lines(['b 1']));
    symlinkSync(join(dir, 'b.log'), join(dir, 'tmp-link'));
    renameSync(join(dir, 'tmp-link'), link);
    appendFileSync(join(dir, 'a.log'), lines(['a 3'])); // late write to the old target
    appendFileSync(join(dir, 'b.log'), lines(['b 2']));
    await waitFor(() => out.lines.length >= 5, '5 lines');
    const got = out.raw();
    expect(got.filter((l) => l.startsWith('a'))).toEqual(['a 1', 'a 2', 'a 3']);
    expect(got.filter((l) => l.startsWith('b'))).toEqual(['b 1', 'b 2']);
  });

  it('tails every file matching a glob: existing ones from their end, new ones from their start', async () => {
    const dir = tempDir();
    const cap = join(dir, 'captures');
    mkdirSync(cap);
    writeFileSync(join(cap, 'one.jsonl'), 'history\n');
    writeFileSync(join(cap, 'other.txt'), 'ignored\n');
    const { out } = await tailOf(join(cap, '*.jsonl'), join(dir, 'ck.json'));
    appendFileSync(join(cap, 'one.jsonl'), 'one new\n');
    writeFileSync(join(cap, 'two.jsonl'), 'two 1\ntwo 2\n');
    writeFileSync(join(cap, '.hidden.jsonl'), 'hidden\n');
    appendFileSync(join(cap, 'other.txt'), 'still ignored\n');
    await waitFor(() => out.lines.length >= 3, '3 lines');
    await sleep(300);
    expect(out.raw().sort()).toEqual(['one new', 'two 1', 'two 2']);
    expect(out.lines.find((l) => l.text === 'two 1')?.position.file).toBe(join(cap, 'two.jsonl'));
  });

  it('4,000 lines, stopped mid-file and restarted: exactly 4,000 delivered, in order', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, lines(numbered(1, 2000)));
    const out = new Collector();
    out.slowMs = 5;
    const h1 = await startTail(f, ck, { fromStart: true }, out);
    await waitFor(() => out.lines.length >= 500, '500 lines');
    await h1.tail.stop();
    out.slowMs = 0;
    const firstRun = out.lines.length;
    expect(firstRun).toBeLessThan(2000);
    appendFileSync(f, lines(numbered(2001, 4000)));
    const h2 = await tailOf(f, ck, { fromStart: true }, out);
    await waitFor(() => out.lines.length >= 4000, '4000 lines');
    await sleep(300);
    await h2.tail.stop();
    expect(out.raw()).toEqual(numbered(1, 4000));
  });

  it('delivers a partial last line once, whole, across a restart', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, '');
    const h1 = await startTail(f, ck, { partialFlushMs: 100 });
    appendFileSync(f, 'complete\nStore key in cache? (y/n) ');
    await waitFor(() => h1.out.lines.length >= 2, 'complete line and partial');
    expect(h1.out.lines[1]).toMatchObject({ text: 'Store key in cache? (y/n) ', partial: true });
    await h1.tail.stop();
    appendFileSync(f, 'y\n');
    const h2 = await tailOf(f, ck, { partialFlushMs: 100 });
    appendFileSync(f, 'next\n');
    await waitFor(() => h2.out.lines.length >= 2, 'rest');
    expect(h2.out.lines.map((l) => [l.text, l.partial ?? false, l.continuation ?? false])).toEqual([
      ['Store key in cache? (y/n) y', false, false],
      ['next', false, false],
    ]);
  });

  it('without partial flush, a line written in two pieces arrives once, complete', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    writeFileSync(f, '');
    const { out } = await tailOf(f, join(dir, 'ck.json'));
    appendFileSync(f, 'Access ');
    await sleep(400);
    appendFileSync(f, 'granted\r\n');
    await waitFor(() => out.lines.length >= 1, 'line');
    await sleep(200);
    expect(out.raw()).toEqual(['Access granted']);
  });

  it('after a restart, reads the rest of a file rotated meanwhile once, then the new file', async () => {
    const dir = tempDir();
    const f = join(dir, 'auth.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, '');
    const h1 = await startTail(f, ck);
    appendFileSync(f, lines(numbered(1, 10)));
    await waitFor(() => h1.out.lines.length >= 10, '10 lines');
    await h1.tail.stop();
    appendFileSync(f, lines(numbered(11, 15)));
    renameSync(f, `${f}.1`);
    writeFileSync(f, lines(numbered(1, 3, 'new')));
    const h2 = await tailOf(f, ck);
    await waitFor(() => h2.out.lines.length >= 8, '8 lines');
    await sleep(300);
    expect(h2.out.raw()).toEqual([...numbered(11, 15), ...numbered(1, 3, 'new')]);
    // And once more: the next restart reads neither again.
    await h2.tail.stop();
    running.splice(running.indexOf(h2), 1);
    appendFileSync(f, 'new 4\n');
    const h3 = await tailOf(f, ck);
    await waitFor(() => h3.out.lines.length >= 1, 'new 4');
    await sleep(300);
    expect(h3.out.raw()).toEqual(['new 4']);
  });

  it('reports a directory in place of the file once and reads the file once it is one', async () => {
    const dir = tempDir();
    const f = join(dir, 'a.log');
    mkdirSync(f);
    const { out } = await tailOf(f, join(dir, 'ck.json'));
    expect(out.problems.map((p) => p.code)).toEqual(['SOURCE_FAILED']);
    await sleep(300);
    expect(out.problems).toHaveLength(1);
    rmdirSync(f);
    writeFileSync(f, 'now a file\n');
    await waitFor(() => out.lines.length >= 1, 'the line');
    expect(out.raw()).toEqual(['now a file']);
  });
});
