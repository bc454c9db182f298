/**
 * Compressed rotated files (issue 19): logrotate's `compress` without `delaycompress` turns
 * `auth.log.1` into `auth.log.1.gz` right at the rotation, so after a restart the rest of the file
 * connwatch was reading exists only compressed. It is found by its uncompressed first bytes and
 * read through gunzip from the saved offset (in uncompressed bytes); compressed generations
 * connwatch never saw are read whole, oldest first. Before, these lines were lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { numbered, sleep, startTail, tempDir, waitFor, type TailHarness } from './helpers.js';

const running: TailHarness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) await h.tail.stop();
});
const text = (xs: string[]): string => xs.map((x) => `${x}\n`).join('');

/** What logrotate does with `compress`: FILE.N → FILE.N+1(.gz), FILE → FILE.1, gzip FILE.1. */
function rotateCompressed(f: string, generations: number): void {
  for (let n = generations; n >= 1; n--) {
    try {
      renameSync(`${f}.${n}.gz`, `${f}.${n + 1}.gz`);
    } catch {
      // not there yet
    }
  }
  renameSync(f, `${f}.1`);
  writeFileSync(`${f}.1.gz`, gzipSync(readFileSync(`${f}.1`)));
  unlinkSync(`${f}.1`);
}

describe('compressed rotated files', () => {
  it('the rest of the file read before a restart is read from its .gz, offsets in uncompressed bytes', async () => {
    const dir = tempDir();
    const f = join(dir, 'auth.log');
    const ck = join(dir, 'ck.json');
    // more than the 1 KiB fingerprint and more than one 64 KiB read block
    writeFileSync(f, text(numbered(1, 3000, 'a line long enough to pass the fingerprint')));
    const h = await startTail(f, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 3000, '3,000 lines');
    await h.tail.stop();
    appendFileSync(f, text(numbered(3001, 5000, 'a line long enough to pass the fingerprint')));
    rotateCompressed(f, 1);
    writeFileSync(f, text(numbered(1, 5, 'b')));
    const h2 = await startTail(f, ck);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 2005, '2,005 lines');
    await sleep(300);
    expect(h2.out.raw()).toEqual([...numbered(3001, 5000, 'a line long enough to pass the fingerprint'), ...numbered(1, 5, 'b')]);
    // positions are offsets in the file as written: line 3001 starts where the old file ended
    expect(h2.out.lines[0]!.position.offset).toBe(Buffer.byteLength(text(numbered(1, 3000, 'a line long enough to pass the fingerprint'))));
  });

  it('two rotations while stopped, both compressed: the rest of the old file, all of the unseen one, then the new file', async () => {
    const dir = tempDir();
    const f = join(dir, 'auth.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, text(numbered(1, 40, 'a')));
    const h = await startTail(f, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 40, '40 lines');
    await h.tail.stop();
    appendFileSync(f, text(numbered(41, 60, 'a')));
    rotateCompressed(f, 1);
    writeFileSync(f, text(numbered(1, 30, 'b')));
    await sleep(20); // birth times apart
    rotateCompressed(f, 1);
    writeFileSync(f, text(numbered(1, 5, 'c')));
    const h2 = await startTail(f, ck);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 55, '55 lines');
    await sleep(300);
    expect(h2.out.raw()).toEqual([...numbered(41, 60, 'a'), ...numbered(1, 30, 'b'), ...numbered(1, 5, 'c')]);
    // and a restart after that repeats nothing (the .gz positions were saved as read)
    await h2.tail.stop();
    running.pop();
    const h3 = await startTail(f, ck);
    running.push(h3);
    await sleep(500);
    expect(h3.out.raw()).toEqual([]);
  });

  it('a .gz beside its uncompressed twin (gzip still at work) is not read twice', async () => {
    const dir = tempDir();
    const f = join(dir, 'auth.log');
    const ck = join(dir, 'ck.json');
    writeFileSync(f, text(numbered(1, 40, 'a')));
    const h = await startTail(f, ck, { fromStart: true });
    await waitFor(() => h.out.lines.length >= 40, '40 lines');
    await h.tail.stop();
    appendFileSync(f, text(numbered(41, 50, 'a')));
    renameSync(f, `${f}.1`);
    writeFileSync(`${f}.1.gz`, gzipSync(readFileSync(`${f}.1`)));
    writeFileSync(f, text(numbered(1, 5, 'b')));
    const h2 = await startTail(f, ck);
    running.push(h2);
    await waitFor(() => h2.out.lines.length >= 15, '15 lines');
    await sleep(300);
    expect(h2.out.raw()).toEqual([...numbered(41, 50, 'a'), ...numbered(1, 5, 'b')]);
  });
});
