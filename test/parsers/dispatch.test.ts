/**
 * PatternTable must be an exact shortcut: for every line, the first pattern it finds is the first
 * pattern a plain loop over the whole table finds. Checked on every sample and fixture line (as is,
 * without its syslog envelope, and without sshd's level prefix and [preauth] suffix), and on
 * crafted regular expressions for the first-character analysis itself.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../agent/envelopes/syslog.js';
import { PatternTable, type TablePattern } from '../../agent/parsers/dispatch.js';
import { firstChars } from '../../agent/parsers/first-chars.js';
import { PATTERNS as SSHD } from '../../agent/parsers/sshd.js';

const HERE = new URL('.', import.meta.url).pathname;
const FIXTURES = join(HERE, '../fixtures');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Every line of the samples and fixtures, with the envelopes and wrappers the parsers take off. */
function corpus(): string[] {
  const out = new Set<string>();
  const paths = [...files(FIXTURES), ...readdirSync(HERE).filter((n) => n.endsWith('.samples.log')).map((n) => join(HERE, n))];
  for (const p of paths) {
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      const text = line.replace(/\r$/, '');
      const msg = parseSyslog(text, Date.now())?.text ?? text;
      for (const t of [text, msg, msg.replace(/^(?:sshd(?:-session|-auth)?: )?(?:error|fatal|debug[1-3]): /, '').replace(/ \[(?:pre|post)auth\]$/, '')]) out.add(t);
    }
  }
  return [...out];
}

function linear<P extends TablePattern>(patterns: readonly P[], text: string): P | undefined {
  return patterns.find((p) => p.re.test(text));
}

describe('PatternTable', () => {
  const lines = corpus();

  it('reads a corpus big enough to mean something', () => {
    expect(lines.length).toBeGreaterThan(2000);
  });

  it("finds, for sshd's table, the same first pattern as a plain loop on every line", () => {
    const table = new PatternTable(SSHD);
    let matched = 0;
    for (const text of lines) {
      const want = linear(SSHD, text);
      expect(table.match(text)?.[0]?.id, text).toBe(want?.id);
      if (want) matched++;
    }
    expect(matched).toBeGreaterThan(200);
  });

  it('never leaves out a pattern that matches: every sshd pattern that matches a line is a candidate for it', () => {
    const all = SSHD.map((p) => p.re);
    const table = new PatternTable(all.map((re) => ({ re })));
    for (const text of lines) {
      const cands = new Set(table.candidates(text).map((p) => p.re));
      for (const re of all) if (re.test(text)) expect(cands.has(re), `${re.source} on ${text}`).toBe(true);
    }
  });

  it('tells the first characters of anchored patterns, and gives up where it cannot tell', () => {
    const set = (re: RegExp) => {
      const s = firstChars(re);
      return s ? [...s].sort().join('') : undefined;
    };
    expect(set(/^Accepted (\S+)/)).toBe('A');
    expect(set(/^(?:Hm, )?kex/)).toBe('Hk');
    expect(set(/^[Ss]ession/)).toBe('Ss');
    expect(set(/^(a|b)?c/)).toBe('abc');
    expect(set(/^x*y/)).toBe('xy');
    expect(set(/^x{0,2}y/)).toBe('xy');
    expect(set(/^x{1,2}y/)).toBe('x');
    expect(set(/^\d+ /)).toBe('0123456789');
    expect(set(/^\[pid/)).toBe('[');
    expect(set(/^abc/i)).toBe('Aa');
    expect(set(/^[a-c]/)).toBe('abc');
    expect(set(/^(?<name>q)r/)).toBe('q');
    expect(set(/^(?:(\S+) line|Could)/)).toBeUndefined();
    expect(set(/^.+x/)).toBeUndefined();
    expect(set(/^\s*x/)).toBeUndefined();
    expect(set(/^[^a]x/)).toBeUndefined();
    expect(set(/^(?=a)a/)).toBeUndefined();
    expect(set(/^x?$/)).toBeUndefined();
    expect(set(/^$/)).toBeUndefined();
    expect(set(/abc/)).toBeUndefined();
    expect(set(/^abc/m)).toBeUndefined();
  });

  it('skips a pattern whose needed text is absent, and tries it when present', () => {
    const table = new PatternTable([{ re: /^(.+): boom$/, needs: [': boom'] }, { re: /^(.+)$/ }]);
    expect(table.match('a: boom')?.[0].re.source).toBe('^(.+): boom$');
    expect(table.match('a: bang')?.[0].re.source).toBe('^(.+)$');
    expect(table.match('')).toBeUndefined();
  });
});
