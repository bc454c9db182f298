/**
 * FileLines (replay's reader) against a plain reference on real files written to disk: every
 * block size from tiny to the default, lines that cross blocks, CRLF, invalid UTF-8, lines longer
 * than the limit (cut with their size, neighbours kept), lines longer than a whole block, and a
 * last line without a newline (partial).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLines } from '../../agent/sources/file-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-file-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Want {
  text: string;
  offset: number;
  partial: boolean;
}

/** What the reader must give: split on \n, drop one \r before it, cut long lines. */
function reference(bytes: Buffer, max: number): Want[] {
  const out: Want[] = [];
  let start = 0;
  while (start < bytes.length) {
    const nl = bytes.indexOf(0x0a, start);
    const partial = nl === -1;
    let end = partial ? bytes.length : nl;
    const len = end - start;
    let keep = Math.min(len, max);
    if (!partial && keep === len && keep > 0 && bytes[start + keep - 1] === 0x0d) keep--;
    else if (!partial && keep < len && bytes[start + keep - 1] === 0x0d) keep--;
    let text = bytes.toString('utf8', start, start + keep);
    if (len > max) text += ` …[cut ${len - max} bytes]`;
    out.push({ text, offset: start, partial });
    start = partial ? bytes.length : nl + 1;
    end = 0;
  }
  return out;
}

function read(path: string, o: { max: number; block?: number }): Want[] {
  const r = new FileLines(path, { receivedAt: 0, maxLineBytes: o.max, ...(o.block ? { blockBytes: o.block } : {}) });
  const out: Want[] = [];
  for (let l = r.next(); l; l = r.next()) out.push({ text: l.text, offset: l.position.offset!, partial: Boolean(l.partial) });
  return out;
}

describe('FileLines', () => {
  it('gives the reference lines, offsets and partial flag for random files at every block size', () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pieces = ['a', 'é', '\r', '\n', '\r\n', 'x'.repeat(50), '\xff', 'ü€', ' ', 'y'.repeat(300)];
    for (let f = 0; f < 40; f++) {
      const parts: Buffer[] = [];
      const n = 1 + rnd(200);
      for (let i = 0; i < n; i++) {
        const p = pieces[rnd(pieces.length)]!;
        parts.push(p === '\xff' ? Buffer.from([0xff, 0xc3]) : Buffer.from(p, 'utf8'));
      }
      const bytes = Buffer.concat(parts);
      const path = join(dir, `r${f}.log`);
      writeFileSync(path, bytes);
      for (const max of [16, 100, 64 * 1024]) {
        const want = reference(bytes, max);
        for (const block of [16, 17, 64, 333, 4096, undefined]) {
          expect(read(path, { max, ...(block ? { block } : {}) }), `file ${f} max ${max} block ${block}`).toEqual(want);
        }
      }
    }
  });

  it('numbers lines from 1, keeps the source and file, and closes at the end', () => {
    const path = join(dir, 'plain.log');
    writeFileSync(path, 'one\ntwo\r\nthree');
    const reader = new FileLines(path, { receivedAt: 5, program: 'sshd' });
    const lines = [];
    for (let l = reader.next(); l; l = reader.next()) lines.push(l);
    expect(reader.next()).toBeUndefined();
    expect(lines.map((l) => [l.text, l.position.line, l.position.offset, l.partial ?? false, l.program, l.receivedAt])).toEqual([
      ['one', 1, 0, false, 'sshd', 5],
      ['two', 2, 4, false, 'sshd', 5],
      ['three', 3, 9, true, 'sshd', 5],
    ]);
    expect(lines[0]!.position.source).toBe(`replay:${path}`);
    expect(lines[0]!.position.file).toBe(path);
  });

  it('reads an empty file as no lines, and a file of one huge line as one cut line', () => {
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    expect(read(empty, { max: 100 })).toEqual([]);
    const huge = join(dir, 'huge.log');
    writeFileSync(huge, `${'z'.repeat(3 * 1024 * 1024)}\nafter\n`);
    expect(read(huge, { max: 64 * 1024 })).toEqual([
      { text: `${'z'.repeat(64 * 1024)} …[cut ${3 * 1024 * 1024 - 64 * 1024} bytes]`, offset: 0, partial: false },
      { text: 'after', offset: 3 * 1024 * 1024 + 1, partial: false },
    ]);
  });
});
