/**
 * copytruncate while the agent reads (issue 19): the live model lost 55-290 of ~1,900 lines when
 * the log was copied and truncated while a read was under way or before the file was read at all.
 * Each case here lost lines before: the fingerprint was re-read from the file after the read
 * (so it described the truncated or regrown file, and the copy was never found), and a file
 * copied and truncated again before any of its bytes were read was not known to have changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawLine } from '../../agent/sources/raw-line.js';
import { Collector, numbered, sleep, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';

const running: TailHarness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.tail.stop();
});
const text = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');
// no watcher and a long poll: the test says when the tail looks (kick)
const manual = { fromStart: true, watch: false, pollMs: 60_000 } as const;

/** A pipeline during whose first line logrotate runs copytruncate, and the writer goes on. */
class RotateOnFirstLine extends Collector {
  private rotated = false;
  constructor(private readonly file: string) {
    super();
  }
  override readonly sink = async (line: RawLine): Promise<void> => {
    if (!this.rotated) {
      this.rotated = true;
      copyFileSync(this.file, `${this.file}-1`);
      truncateSync(this.file, 0);
      appendFileSync(this.file, text(numbered(1, 60, 'new line, longer than the old ones were')));
    }
    this.lines.push(line);
  };
}

describe('copytruncate while reading', () => {
  it('copied, truncated and regrown longer while a block is delivered: the new lines are read from their start', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    writeFileSync(f, text(numbered(1, 20, 'old line')));
    const out = new RotateOnFirstLine(f);
    const h = await startTail(f, join(dir, 'ck.json'), manual, out);
    running.push(h);
    await waitFor(() => out.lines.length >= 20, 'the old lines');
    h.tail.kick();
    await waitFor(() => out.lines.length >= 80, '80 lines');
    await sleep(200);
    expect(out.raw().slice(0, 20)).toEqual(numbered(1, 20, 'old line'));
    expect(out.raw().slice(20)).toEqual(numbered(1, 60, 'new line, longer than the old ones were'));
  });

  it('copied and truncated twice before any of the file was read: both copies are read', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const h = await startTail(f, join(dir, 'ck.json'), manual);
    running.push(h);
    await sleep(100);
    appendFileSync(f, text(numbered(1, 10, 'a')));
    copyFileSync(f, `${f}-1`);
    truncateSync(f, 0);
    await sleep(20); // birth times apart
    appendFileSync(f, text(numbered(1, 10, 'b')));
    copyFileSync(f, `${f}-2`);
    truncateSync(f, 0);
    appendFileSync(f, text(numbered(1, 5, 'c')));
    h.tail.kick();
    await waitFor(() => h.out.lines.length >= 25, '25 lines');
    await sleep(200);
    expect(h.out.raw()).toEqual([...numbered(1, 10, 'a'), ...numbered(1, 10, 'b'), ...numbered(1, 5, 'c')]);
  });

  it('copied and truncated twice between two reads: the rest of the first copy and all of the second', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    writeFileSync(f, text(numbered(1, 10, 'a')));
    const h = await startTail(f, join(dir, 'ck.json'), manual);
    running.push(h);
    await waitFor(() => h.out.lines.length >= 10, '10 lines');
    appendFileSync(f, text(numbered(11, 20, 'a')));
    copyFileSync(f, `${f}-1`);
    truncateSync(f, 0);
    await sleep(20);
    appendFileSync(f, text(numbered(1, 10, 'b')));
    copyFileSync(f, `${f}-2`);
    truncateSync(f, 0);
    h.tail.kick();
    await waitFor(() => h.out.lines.length >= 30, '30 lines');
    await sleep(200);
    expect(h.out.raw()).toEqual([...numbered(1, 20, 'a'), ...numbered(1, 10, 'b')]);
  });

  it('killed right after a copytruncate, before anything of the new file was read: the copy made next is found after the restart', async () => {
    const dir = tempDir();
    const f = join(dir, 'app.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, '');
    const h = await startTail(f, ck, manual);
    await h.tail.stop(); // saved: the file, nothing of it known
    appendFileSync(f, text(numbered(1, 10, 'a')));
    await sleep(20);
    copyFileSync(f, `${f}-1`);
    truncateSync(f, 0);
    appendFileSync(f, text(numbered(1, 3, 'b')));
    const h2 = await startTail(f, ck, manual);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 13, '13 lines');
    await sleep(200);
    expect(h2.out.raw()).toEqual([...numbered(1, 10, 'a'), ...numbered(1, 3, 'b')]);
  });
});
