/**
 * FreeRDP parser (xfreerdp / freerdp-shadow-cli 2.11.7 real output, 3.x and older wordings from the
 * reference): the annotated samples, the ERRCONNECT table, WLog time handling, and every line of the
 * real captures 11 (NLA shadow server) and 13 (its server logs), read as the agent reads them.
 */
process.env.TZ = 'UTC';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERRCONNECT, errconnect } from '../../agent/parsers/errconnect.js';
import { FREERDP_FALLBACK_PATTERNS, freerdp, parseWlog, timeOfDay } from '../../agent/parsers/freerdp.js';
import { PARSERS } from '../../agent/parsers/registry.js';
import { fixtureFiles, routeFile } from '../helpers/rdp-server.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RDP = here('../fixtures/rdp');

const isServer = (f: string) => f.endsWith('server.log');
/** xfreerdp's own captures and every shadow-server log (rdesktop and Remmina clients have their own tests). */
const freerdpFiles = fixtureFiles(RDP).filter((f) => isServer(f) || (f.includes('xfreerdp') && !f.includes('13-remmina')));

describe('freerdp parser', () => {
  checkSamples(freerdp, readSamples(here('./freerdp.samples.log')), 90);

  it('takes the WLog prefix apart in both majors', () => {
    expect(parseWlog('[13:44:37:617] [5352:5352] [ERROR][com.freerdp.core] - message')).toMatchObject({ pid: 5352, level: 'ERROR', tag: 'com.freerdp.core', text: 'message' });
    const w3 = parseWlog('[11:44:34:488] [31906:00007ca3] [DEBUG][com.freerdp.core.nla] - [nla_send]: ----->> sending...');
    expect(w3).toMatchObject({ pid: 31906, tid: '00007ca3', fn: 'nla_send', text: '----->> sending...' });
    // a 2.x message that starts with brackets keeps them
    expect(parseWlog('[13:42:24:195] [4174:4191] [ERROR][com.freerdp.core.nla] - [nla_recv] error: -1')?.text).toBe('[nla_recv] error: -1');
    expect(parseWlog('[13:42:24] [4174] [ERROR] - x')).toBeUndefined();
  });

  it('puts the time of day on the nearest day of the reference time (local zone)', () => {
    const ref = Date.UTC(2026, 10, 21, 0, 0, 5);
    expect(new Date(timeOfDay(23, 59, 59, 0, ref)).toISOString()).toBe('2026-11-20T23:59:59.000Z');
    expect(new Date(timeOfDay(13, 40, 54, 45, ref + 12 * 3600_000)).toISOString()).toBe('2026-11-21T13:40:54.045Z');
    // an outer envelope's time wins over the WLog time of day
    const p = freerdp.create();
    const [e] = p.parse({ text: '[13:40:54:045] [3090:3091] [ERROR][com.freerdp.core] - freerdp_post_connect failed', referenceTime: 1, time: 42 });
    expect(e!.time).toBeUndefined();
  });

  it('knows every ERRCONNECT code of error.h with a meaning, a family and a kind', () => {
    expect(ERRCONNECT).toHaveLength(30);
    for (const e of ERRCONNECT) {
      expect(e.hex).toMatch(/^0x000200[0-9A-F]{2}$/);
      expect(e.meaning.length).toBeGreaterThan(10);
      expect(errconnect(e.name)).toBe(e);
      expect(errconnect(e.code)).toBe(e);
    }
    expect(errconnect(0x0d)?.name).toBe('ERRCONNECT_CONNECT_TRANSPORT_FAILED');
    expect(errconnect('ERRCONNECT_ACCOUNT_LOCKED_OUT')).toMatchObject({ hex: '0x00020018', family: 'account-locked', kind: 'auth.failed' });
    expect(errconnect('ERRCONNECT_PASSWORD_CERTAINLY_EXPIRED')).toMatchObject({ kind: 'nla.failed' });
    expect(errconnect(0x00030001)).toBeUndefined();
  });

  it('is recognised from the first line of a WLog file, and no other parser claims it', () => {
    const first = '[13:40:54:045] [3090:3091] [ERROR][com.freerdp.core.transport] - BIO_read returned a system error 0: Success';
    for (const p of PARSERS) if (p !== freerdp) expect(p.sniff(first), p.program).toBeLessThan(freerdp.sniff(first));
    expect(freerdp.sniff('Do you trust the above certificate? (Y/T/N) ')).toBeGreaterThanOrEqual(0.9);
  });

  describe('every line of the real captures', () => {
    it.each(freerdpFiles.map((f) => [f.slice(RDP.length + 1), f]))('%s: a specific kind for every line', (_name, file) => {
      const { events, lines } = routeFile(file, 'freerdp');
      expect(events.length).toBeGreaterThanOrEqual(lines);
      const vague = events.filter((e) => e.kind === 'unknown' || (FREERDP_FALLBACK_PATTERNS as readonly string[]).includes(e.pattern ?? ''));
      expect(vague.map((e) => `${e.raw.line}: ${e.raw.text}`)).toEqual([]);
      // recognised without being told, too
      const auto = routeFile(file);
      if (lines > 0) expect(auto.router.program).toBe('freerdp');
      expect(auto.events.filter((e) => e.kind === 'unknown')).toEqual([]);
    });

    it('11b wrong password: the client only knows ERRCONNECT_CONNECT_TRANSPORT_FAILED; the server knows why', () => {
      const client = routeFile(join(RDP, '11-rdp-nla-shadow-server/b-xfreerdp-wrong-password/client.stderr'), 'freerdp').events;
      expect(client.filter((e) => e.detail.errconnect === 'ERRCONNECT_CONNECT_TRANSPORT_FAILED').map((e) => [e.kind, e.detail.code, e.pid])).toEqual([
        ['connect.failed', '0x0002000D', 3090],
        ['connect.failed', '0x0002000D', 3090],
      ]);
      expect(client.at(-1)).toMatchObject({ kind: 'connect.failed', pattern: 'freerdp.conn.post-connect' });
      const server = routeFile(join(RDP, '11-rdp-nla-shadow-server/b-xfreerdp-wrong-password/server.log'), 'freerdp').events;
      expect(server.filter((e) => e.pattern === 'freerdp.server.mic-failed')).toHaveLength(2);
      expect(server.filter((e) => e.kind === 'auth.failed').every((e) => e.detail.side === 'server')).toBe(true);
    });

    it('11d2 default certificate handling: the prompt carries the certificate, EOF aborts, TLS fails', () => {
      const out = routeFile(join(RDP, '11-rdp-nla-shadow-server/d2-xfreerdp-default-cert-handling-stdin-devnull/client.stdout'), 'freerdp').events;
      const prompt = out.find((e) => e.kind === 'prompt.certificate');
      expect(prompt).toMatchObject({ host: '127.0.0.1', port: 3391, detail: { commonName: 'vm', subject: 'CN = vm', issuer: 'CN = vm' } });
      expect(out.at(-1)).toMatchObject({ kind: 'connect.aborted', detail: { reason: 'stdin-eof' } });
      const err = routeFile(join(RDP, '11-rdp-nla-shadow-server/d2-xfreerdp-default-cert-handling-stdin-devnull/client.stderr'), 'freerdp').events;
      expect(err.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['cert.untrusted', 'connect.aborted', 'tls.failed']),
      );
      expect(err.find((e) => e.pattern === 'freerdp.cert.warning')?.detail.reason).toBe('name-mismatch');
    });

    it('11c2 success at INFO: the session starts, then timeout(1) kills it', () => {
      const out = routeFile(join(RDP, '11-rdp-nla-shadow-server/c2-xfreerdp-correct-password-log-level-INFO/client.stdout'), 'freerdp').events;
      expect(out.filter((e) => e.kind === 'session.started')).toHaveLength(1);
      const err = routeFile(join(RDP, '11-rdp-nla-shadow-server/c2-xfreerdp-correct-password-log-level-INFO/client.stderr'), 'freerdp').events;
      expect(err[0]).toMatchObject({ kind: 'error.fatal', detail: { signal: 'Terminated' }, time: Date.UTC(2026, 10, 21, 13, 44, 56, 527) });
      expect(err.slice(1).every((e) => e.kind === 'noise')).toBe(true);
    });
  });
});
