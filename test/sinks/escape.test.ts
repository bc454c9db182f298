/**
 * escape.ts as pure functions: visible text rules and the wire layers. The end-to-end proof that
 * these rules produce the intended text on a real server is in desktop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  cap,
  cleanText,
  escapeMarkup,
  notifySendBodyArg,
  notifySendSummaryArg,
  unescapeMarkup,
  visibleBody,
  visibleSummary,
} from '../../agent/sinks/escape.js';

describe('visible text', () => {
  it('turns control characters into visible pictures and keeps newlines', () => {
    expect(cleanText('a\u0000b\u0007c\u001bd\u007fe\nf\u0085g')).toBe('a\u2400b\u2407c\u241bd\u2421e\nf\ufffdg');
  });

  it('replaces lone surrogates and keeps pairs', () => {
    expect(cleanText('\udc00x\ud800')).toBe('\ufffdx\ufffd');
    expect(cleanText('\ud83d\ude00')).toBe('😀');
  });

  it('normalises line ends and separators', () => {
    expect(cleanText('a\r\nb\rc\u2028d\u2029e')).toBe('a\nb\nc\nd\ne');
  });

  it('caps by code points with an ellipsis, never splitting a pair', () => {
    expect(cap('abcdef', 6)).toBe('abcdef');
    expect(cap('abcdefg', 6)).toBe('abcde…');
    expect(cap('😀😀😀', 2)).toBe('😀…');
    expect(cap('ab   cdef', 5)).toBe('ab…');
  });

  it('a summary is one trimmed line without a leading dash', () => {
    expect(visibleSummary('  --help\n\n me  ')).toBe('\u2010-help me');
    expect(visibleSummary('a - b')).toBe('a - b');
    expect(visibleSummary('x'.repeat(200))).toHaveLength(120);
  });

  it('a body keeps paragraphs, drops trailing spaces and extra blank lines', () => {
    expect(visibleBody('-x  \n\n\n\nnext\n')).toBe('\u2010x\n\nnext');
  });
});

describe('wire layers', () => {
  it('escapes body markup and round-trips', () => {
    const s = '<a href="x">&amp;</a>';
    expect(escapeMarkup(s)).toBe('&lt;a href="x"&gt;&amp;amp;&lt;/a&gt;');
    expect(unescapeMarkup(escapeMarkup(s))).toBe(s);
  });

  it('doubles backslashes in the body only (notify-send compresses the body, not the summary)', () => {
    expect(notifySendBodyArg('C:\\temp\\new')).toBe('C:\\\\temp\\\\new');
    expect(notifySendSummaryArg('C:\\temp\\new')).toBe('C:\\temp\\new');
  });
});
