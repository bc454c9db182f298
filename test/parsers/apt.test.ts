/**
 * apt history.log parser: the annotated samples (every pattern id needs one), and the real
 * history of two `apt-get install` runs (test/fixtures/upgrade/apt-history.log), read with and
 * without telling the router which program wrote it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apt } from '../../agent/parsers/apt.js';
import { PARSERS } from '../../agent/parsers/registry.js';
import { readSamples, routeFile } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const FIXTURE = here('../fixtures/upgrade/apt-history.log');

describe('apt history parser', () => {
  const file = readSamples(here('./apt.samples.log'));
  checkSamples(apt, file, 25);

  it('is recognised from a stanza start (two spaces), and no other parser claims it', () => {
    expect(apt.sniff('Start-Date: 2026-11-21  13:26:24')).toBe(1);
    expect(apt.sniff('Start-Date: 2026-11-21 13:26:24')).toBe(0);
    for (const p of PARSERS) if (p !== apt) expect(p.sniff('Start-Date: 2026-11-21  13:26:24'), p.program).toBeLessThan(0.9);
  });

  it('parses the real history: one change per package, stanza times carried, runs framed', () => {
    for (const program of ['apt', undefined] as const) {
      const events = routeFile(FIXTURE, program);
      // Without a program the router cannot know the file's first line (blank) yet: it is the only one not understood.
      const notUnderstood = events.filter((e) => e.kind === 'unknown');
      expect(notUnderstood.map((e) => e.raw.line)).toEqual(program ? [] : [1]);
      expect(notUnderstood.every((e) => e.raw.text === '')).toBe(true);
      const apts = events.filter((e) => e.program === 'apt');
      const runs = apts.filter((e) => e.kind === 'pkg.run');
      expect(runs.map((e) => e.detail.phase)).toEqual(['start', 'end', 'start', 'end']);
      expect(runs[0]!.detail.command).toMatch(/^apt-get -o DPkg::Lock::Timeout=600 install -y putty-tools /);
      expect(runs[1]!.detail).toMatchObject({ changes: 120 + 16 - 1, error: false, durationMs: 35_000 });
      expect(runs[1]!.time).toBe(new Date(2026, 10, 21, 13, 26, 59).getTime());
      const changes = apts.filter((e) => e.kind === 'pkg.change');
      expect(changes).toHaveLength(120 + 16);
      expect(changes.filter((e) => e.detail.action === 'upgrade')).toHaveLength(16);
      const ssh = changes.find((e) => e.detail.package === 'openssh-client')!;
      expect(ssh.detail).toMatchObject({ action: 'upgrade', arch: 'amd64', oldVersion: '1:9.2p1-2+deb12u6', newVersion: '1:9.2p1-2+deb12u10' });
      expect(ssh).toMatchObject({ time: new Date(2026, 10, 21, 13, 26, 24).getTime(), timeFrom: 'line' });
      const winpr = changes.find((e) => e.detail.package === 'winpr-utils')!;
      expect(winpr.time).toBe(new Date(2026, 10, 21, 13, 40, 2).getTime());
      expect(changes.filter((e) => e.detail.automatic === true).length).toBeGreaterThan(90);
    }
  });

  it('emits a start held back by a file that ends inside the header', () => {
    const p = apt.create();
    expect(p.parse({ text: 'Start-Date: 2026-11-21  13:26:24', referenceTime: 0 })).toEqual([]);
    expect(p.parse({ text: 'Commandline: apt upgrade', referenceTime: 0 })).toEqual([]);
    expect(p.end()).toMatchObject([{ kind: 'pkg.run', detail: { phase: 'start', command: 'apt upgrade' } }]);
    expect(p.end()).toEqual([]);
  });
});
