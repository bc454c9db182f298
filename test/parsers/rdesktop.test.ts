/**
 * rdesktop parser (1.8 and 1.9): the annotated samples, and every line of the real 1.9.0 captures
 * (11a3, its first attempt) and of the 2018 incident transcript (1.8).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../../agent/parsers/registry.js';
import { RDESKTOP_FALLBACK_PATTERNS, rdesktop } from '../../agent/parsers/rdesktop.js';
import { fixtureFiles, routeFile } from '../helpers/rdp-server.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RDP = here('../fixtures/rdp');
const files = [...fixtureFiles(RDP).filter((f) => f.includes('rdesktop') && !f.endsWith('server.log')), join(RDP, 'incidents/rdesktop-1.8-credssp.txt')];

describe('rdesktop parser', () => {
  checkSamples(rdesktop, readSamples(here('./rdesktop.samples.log')), 50);

  it('is recognised from either wording of the CredSSP failure and from 1.9 prefixes', () => {
    for (const line of ['ERROR: CredSSP: Initialize failed, do you have correct kerberos tgt initialized ?', 'Core(error): tcp_connect(), unable to connect to 127.0.0.1', 'Failed to initialize NLA, do you have correct Kerberos TGT initialized ?']) {
      expect(rdesktop.sniff(line), line).toBe(1);
      for (const p of PARSERS) if (p !== rdesktop) expect(p.sniff(line), `${p.program}: ${line}`).toBeLessThan(0.9);
    }
  });

  it.each(files.map((f) => [f.slice(RDP.length + 1), f]))('%s: a specific kind for every line', (_name, file) => {
    const { events, lines } = routeFile(file, 'rdesktop');
    expect(events.length).toBeGreaterThanOrEqual(lines);
    const vague = events.filter((e) => e.kind === 'unknown' || (RDESKTOP_FALLBACK_PATTERNS as readonly string[]).includes(e.pattern ?? ''));
    expect(vague.map((e) => `${e.raw.line}: ${e.raw.text}`)).toEqual([]);
  });

  it('11a3: the certificate question hangs with the certificate in its detail; after "yes", NLA fails', () => {
    const err = routeFile(join(RDP, '11-rdp-nla-shadow-server/a3-rdesktop-answer-yes-to-cert/client.stderr')).events;
    const prompt = err.filter((e) => e.kind === 'prompt.certificate');
    expect(prompt).toHaveLength(1);
    expect(prompt[0]).toMatchObject({ program: 'rdesktop', detail: { subject: 'CN=vm', sha1: '29b05252a39c8b460e9417da21ae561890627e26', reasons: 'Certificate issuer is not trusted by this system.' } });
    const out = routeFile(join(RDP, '11-rdp-nla-shadow-server/a3-rdesktop-answer-yes-to-cert/client.stdout')).events;
    expect(out.filter((e) => e.kind !== 'noise').map((e) => [e.program, e.kind, e.detail.reason])).toEqual([
      ['rdesktop', 'nla.failed', 'no-kerberos-tgt'],
      ['rdesktop', 'nego.failed', 'HYBRID_REQUIRED_BY_SERVER'],
    ]);
  });

  it('the 2018 incident (1.8): NLA failure, then SSL marked as a downgrade', () => {
    const { events, router } = routeFile(join(RDP, 'incidents/rdesktop-1.8-credssp.txt'));
    expect(router.program).toBe('rdesktop');
    expect(events.map((e) => [e.kind, e.detail.downgrade ?? null])).toEqual([
      ['nla.failed', null],
      ['connect.established', true],
    ]);
  });
});
