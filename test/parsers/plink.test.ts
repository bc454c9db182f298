/**
 * The plink parser on its samples (real output of 0.60, 0.67 and 0.78, and the catalogued wording
 * of the other releases): every sample gives exactly its expected events, every pattern has a
 * sample, and every line of every plink capture in test/fixtures is understood.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plink } from '../../agent/parsers/plink.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { FIXTURES } from '../helpers/cli.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const SAMPLES = join(FIXTURES, '..', 'parsers', 'plink.samples.log');

describe('plink parser', () => {
  checkSamples(plink, readSamples(SAMPLES), 301);

  it('understands every line of every plink capture (stderr, stdout, -sshlog) and incident', () => {
    const files: string[] = [];
    for (const d of readdirSync(join(FIXTURES, 'plink'))) {
      for (const f of ['client.stderr', 'client.sshlog']) if (existsSync(join(FIXTURES, 'plink', d, f))) files.push(join(FIXTURES, 'plink', d, f));
    }
    for (const f of readdirSync(join(FIXTURES, 'incidents'))) if (f.startsWith('plink')) files.push(join(FIXTURES, 'incidents', f));
    const unknown: string[] = [];
    let lines = 0;
    for (const file of files) {
      const router = new LineRouter({ program: 'plink' });
      const text = readFileSync(file, 'utf8');
      const parts = text.split('\n');
      const last = parts.pop()!;
      const all = parts.map((t) => ({ t: t.replace(/\r$/, ''), partial: false }));
      if (last) all.push({ t: last, partial: true });
      for (const [i, l] of all.entries()) {
        lines++;
        for (const e of router.route({ sourceId: file, text: l.t, receivedAt: 0, position: { source: file, line: i + 1 }, partial: l.partial })) {
          if (e.kind === 'unknown' || e.kind === 'error.fatal') unknown.push(`${file}:${i + 1}: ${l.t}`);
        }
      }
      for (const e of router.end()) if (e.kind === 'unknown') unknown.push(`${file}: (end) ${e.raw.text}`);
    }
    expect(unknown).toEqual([]);
    expect(lines).toBeGreaterThan(1000);
  });

  it('never takes a host from a user-typed value in a prompt', () => {
    const r = new LineRouter({ program: 'plink' });
    const [e] = r.route({ sourceId: 's', text: "10.9.8.7@127.0.0.1's password: ", receivedAt: 0, position: { source: 's' }, partial: true });
    expect(e!.kind).toBe('prompt.password');
    expect(e!.host).toBeUndefined();
    expect(e!.user).toBeUndefined();
  });
});
