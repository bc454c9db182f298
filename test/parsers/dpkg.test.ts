/**
 * dpkg.log parser: the annotated samples (every pattern id needs one), and the whole real log of
 * two `apt-get install` runs (test/fixtures/upgrade/dpkg.log, 1029 lines) read the way the agent
 * reads a file it knows nothing about: the router recognises dpkg from the first line.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dpkg } from '../../agent/parsers/dpkg.js';
import { PARSERS } from '../../agent/parsers/registry.js';
import { readSamples, routeFile } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

describe('dpkg parser', () => {
  const file = readSamples(here('./dpkg.samples.log'));
  checkSamples(dpkg, file, 25);

  it('reads dates as local time and rejects impossible ones', () => {
    const parser = dpkg.create();
    const [e] = parser.parse({ text: '2026-11-21 13:26:26 upgrade openssh-client:amd64 1 2', referenceTime: 0 });
    expect(e!.time).toBe(new Date(2026, 10, 21, 13, 26, 26).getTime());
    expect(parser.parse({ text: '2026-02-30 13:26:26 upgrade x:amd64 1 2', referenceTime: 0 })[0]!.kind).toBe('unknown');
  });

  it('is recognised from its first line, and no other parser claims it', () => {
    const first = readFileSync(here('../fixtures/upgrade/dpkg.log'), 'utf8').split('\n')[0]!;
    expect(dpkg.sniff(first)).toBe(1);
    for (const p of PARSERS) if (p !== dpkg) expect(p.sniff(first), p.program).toBeLessThan(0.9);
    expect(dpkg.sniff('2026-11-21T13:32:07.000916+00:00 vm sshd[31957]: Accepted password for alice from 127.0.0.1 port 4022 ssh2')).toBe(0);
  });

  it('parses every line of a real dpkg.log (two apt-get runs, 1029 lines)', () => {
    const events = routeFile(here('../fixtures/upgrade/dpkg.log'));
    expect(events).toHaveLength(1029);
    expect(events.filter((e) => e.kind === 'unknown')).toEqual([]);
    expect(events.every((e) => e.program === 'dpkg' && e.timeFrom === 'line')).toBe(true);
    const count = (kind: string, action?: string) =>
      events.filter((e) => e.kind === kind && (action === undefined || e.detail.action === action)).length;
    expect(count('pkg.run')).toBe(8);
    expect(count('pkg.status')).toBe(740);
    expect(count('pkg.change', 'upgrade')).toBe(16);
    expect(count('pkg.change', 'install')).toBe(120);
    expect(count('pkg.change', 'configure')).toBe(136);
    expect(count('pkg.change', 'trigproc')).toBe(9);
    const ssh = events.find((e) => e.kind === 'pkg.change' && e.detail.package === 'openssh-client' && e.detail.action === 'upgrade')!;
    expect(ssh.detail).toMatchObject({ arch: 'amd64', oldVersion: '1:9.2p1-2+deb12u6', newVersion: '1:9.2p1-2+deb12u10' });
    expect(ssh.time).toBe(new Date(2026, 10, 21, 13, 26, 26).getTime());
    expect(ssh.raw).toMatchObject({ line: 57, text: '2026-11-21 13:26:26 upgrade openssh-client:amd64 1:9.2p1-2+deb12u6 1:9.2p1-2+deb12u10' });
  });
});
