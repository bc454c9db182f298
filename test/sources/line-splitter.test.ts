/** LineSplitter: the byte-level rules every source relies on. */
import { describe, expect, it } from 'vitest';
import { completeUtf8Length, LineSplitter, TRUNCATION_MARKER } from '../../agent/sources/line-splitter.js';

describe('LineSplitter', () => {
  it('splits on \\n, strips one \\r before it, keeps a lone \\r, reports offsets', () => {
    const s = new LineSplitter({ startOffset: 10 });
    const got = s.push(Buffer.from('a\r\nb\rc\n\nrest'));
    expect(got).toEqual([
      { text: 'a', start: 10, end: 13, truncated: false },
      { text: 'b\rc', start: 13, end: 17, truncated: false },
      { text: '', start: 17, end: 18, truncated: false },
    ]);
    expect(s.lineStart).toBe(18);
    expect(s.pendingText()).toEqual({ text: 'rest', bytes: 4 });
  });

  it('joins a line split across chunks, also inside a UTF-8 character', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('Schlüssel ✓\n');
    const cut = bytes.indexOf(0x9c); // inside ✓
    expect(s.push(bytes.subarray(0, cut))).toEqual([]);
    expect(s.pendingText()?.text).toBe('Schlüssel '); // no half character shown
    expect(s.push(bytes.subarray(cut)).map((l) => l.text)).toEqual(['Schlüssel ✓']);
  });

  it('turns invalid UTF-8 into U+FFFD and drops NUL bytes', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from([0, 0, 0x61, 0xc3, 0x28, 0, 0x62, 0x0a])).map((l) => l.text)).toEqual(['a\uFFFD(b']);
  });

  it('caps a long line at a character boundary, with a marker, bounded memory, neighbours kept', () => {
    const s = new LineSplitter({ maxLineBytes: 16 });
    const out = [...s.push(Buffer.from('ok\n' + 'é'.repeat(20))), ...s.push(Buffer.from('é'.repeat(1000) + '\nnext\n'))];
    expect(out.map((l) => l.text)).toEqual([`ok`, `${'é'.repeat(8)}${TRUNCATION_MARKER}${2040 - 16} bytes dropped]`, 'next']);
    expect(out[1]).toMatchObject({ start: 3, end: 3 + 2041, truncated: true });
  });

  it('completeUtf8Length never splits a character', () => {
    const b = Buffer.from('a€');
    expect(completeUtf8Length(b)).toBe(4);
    expect(completeUtf8Length(b.subarray(0, 3))).toBe(1);
    expect(completeUtf8Length(Buffer.from([0x61, 0xff]))).toBe(2);
  });
});
