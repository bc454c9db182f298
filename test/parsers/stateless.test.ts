/**
 * A parser marked `stateless` is shared by every process of its program (the router keeps one
 * instance). That is only right if a line's events never depend on the lines before: each sample
 * line must give the same drafts from one long-lived instance as from a fresh one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSyslog } from '../../agent/envelopes/syslog.js';
import { PARSERS } from '../../agent/parsers/registry.js';

const HERE = new URL('.', import.meta.url).pathname;

describe('stateless parsers', () => {
  const stateless = PARSERS.filter((p) => p.stateless);

  it('include sshd and dpkg', () => {
    expect(stateless.map((p) => p.program).sort()).toEqual(['dpkg', 'sshd']);
  });

  for (const spec of stateless) {
    it(`${spec.program}: a shared instance gives what a fresh one gives, line by line`, () => {
      const lines = readFileSync(join(HERE, `${spec.program}.samples.log`), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'));
      expect(lines.length).toBeGreaterThan(20);
      const shared = spec.create();
      for (const line of lines) {
        const s = parseSyslog(line, 0);
        const msg = { text: s?.text ?? line, referenceTime: 0, ...(s ? { time: s.time, ident: s.ident } : {}) };
        expect(shared.parse(msg), line).toEqual(spec.create().parse(msg));
      }
    });
  }
});
