/**
 * The format tables (agent/parsers/table.ts): a printf format as an anchored expression, and the
 * lookup of `%s: REST` formats by REST after each `: ` of a line (the first row in order wins).
 */
import { describe, expect, it } from 'vitest';
import { FormatTable, formatToRegExp } from '../../agent/parsers/table.js';

describe('formatToRegExp', () => {
  it('turns conversions next to each other into one run, so no chain of .* backtracks', () => {
    expect(formatToRegExp('%s%s%s for %s%s%s to %s: %s %s').source).toBe('^.* for .* to .*: .* .*$');
    expect(formatToRegExp('%d%d items').source).toBe('^\\S+ items$');
    expect(formatToRegExp('channel %d: bad id').source).toBe('^channel -?[0-9a-fA-F]+: bad id$');
    expect(formatToRegExp('100%% done: %s').test('100% done: yes')).toBe(true);
  });
});

describe('FormatTable', () => {
  const table = new FormatTable('t', [
    ['%s: sshbuf_new failed', 'first'],
    ['client_loop: %s', 'second'],
    ['%s: %s: sshbuf_new failed', 'third'],
    ['%s: no %s here', 'fourth'],
  ], (tag, text) => ({ kind: 'noise', program: 'ssh', pattern: 't', detail: { tag, text } }));
  const tag = (text: string): unknown => table.match(text)?.detail?.tag;

  it('finds a `%s: REST` format after any `: ` of the line', () => {
    expect(tag('client_x11: sshbuf_new failed')).toBe('first');
    expect(tag('a: b: c: sshbuf_new failed')).toBe('first');
    expect(tag('mux: no session here')).toBe('fourth');
  });

  it('keeps the order of the rows between the two kinds of format', () => {
    expect(tag('client_loop: sshbuf_new failed')).toBe('first');
    expect(tag('client_loop: something else')).toBe('second');
  });

  it('gives nothing for a line no format fits', () => {
    expect(table.match('sshbuf_new failed')).toBeUndefined();
    expect(table.match('')).toBeUndefined();
  });
});
