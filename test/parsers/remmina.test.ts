/**
 * Remmina parser (1.4.29 real output; 1.3/1.4 GUI texts from the reference): the annotated samples,
 * the delegation of libfreerdp's WLog lines to the FreeRDP table, and every line of the real capture
 * 13 (Remmina against the NLA shadow server with a wrong password).
 */
process.env.TZ = 'UTC';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PARSERS, parserForIdent } from '../../agent/parsers/registry.js';
import { remmina } from '../../agent/parsers/remmina.js';
import { FREERDP_FALLBACK_PATTERNS } from '../../agent/parsers/freerdp.js';
import { LineRouter } from '../../agent/parsers/router.js';
import { fixtureFiles, routeFile } from '../helpers/rdp-server.js';
import { readSamples } from '../helpers/samples.js';
import { checkSamples } from './coverage.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const RDP = here('../fixtures/rdp');
const files = fixtureFiles(join(RDP, '13-remmina-nla-wrong-password')).filter((f) => !f.endsWith('server.log'));

describe('remmina parser', () => {
  checkSamples(remmina, readSamples(here('./remmina.samples.log')), 40);

  it('is recognised from its own lines, and journal identifiers reach it', () => {
    for (const line of ['libfreerdp returned code is 0002000D', 'Load modules from /usr/lib/x86_64-linux-gnu/remmina/plugins', '(org.remmina.Remmina:5841): GLib-CRITICAL **: 13:45:12.156: g_strrstr: assertion failed']) {
      expect(remmina.sniff(line), line).toBe(1);
      for (const p of PARSERS) if (p !== remmina) expect(p.sniff(line), `${p.program}: ${line}`).toBeLessThan(0.9);
    }
    expect(parserForIdent('org.remmina.Remmina.desktop')).toBe(remmina);
    expect(parserForIdent('remmina')).toBe(remmina);
  });

  it('maps a code the same way as xfreerdp, whoever prints it', () => {
    const router = new LineRouter({ program: 'remmina' });
    const at = (text: string) => router.route({ sourceId: 't', text, receivedAt: Date.UTC(2026, 10, 21, 12), position: { source: 't' } })[0]!;
    const own = at('libfreerdp returned code is 00020014');
    const wlog = at('[10:02:11:120] [4242:4243] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_LOGON_FAILURE [0x00020014]');
    for (const e of [own, wlog]) expect(e).toMatchObject({ program: 'remmina', kind: 'auth.failed', detail: { code: '0x00020014', errconnect: 'ERRCONNECT_LOGON_FAILURE', family: 'logon' } });
  });

  it('reads the user journal (identifier org.remmina.Remmina.desktop) with the journal time', () => {
    const router = new LineRouter();
    const entry = {
      __CURSOR: 's=1;i=2',
      __REALTIME_TIMESTAMP: String(Date.UTC(2026, 10, 21, 13, 45, 13, 719) * 1000),
      SYSLOG_IDENTIFIER: 'org.remmina.Remmina.desktop',
      _PID: '5841',
      MESSAGE: '[13:45:13:719] [5841:5862] [ERROR][com.freerdp.core] - freerdp_post_connect failed',
    };
    const [e] = router.route({ sourceId: 'journal:user', text: JSON.stringify(entry), receivedAt: Date.UTC(2026, 10, 22), position: { source: 'journal:user' } });
    expect(e).toMatchObject({ program: 'remmina', kind: 'connect.failed', pid: 5841, time: Date.UTC(2026, 10, 21, 13, 45, 13, 719), raw: { cursor: 's=1;i=2' } });
  });

  it.each(files.map((f) => [f.slice(RDP.length + 1), f]))('%s: a specific kind for every line', (_name, file) => {
    const { events, lines } = routeFile(file, 'remmina');
    expect(events.length).toBeGreaterThanOrEqual(lines);
    const vague = events.filter((e) => e.kind === 'unknown' || (FREERDP_FALLBACK_PATTERNS as readonly string[]).includes(e.pattern ?? ''));
    expect(vague.map((e) => `${e.raw.line}: ${e.raw.text}`)).toEqual([]);
    // recognised without being told (the first line may be dbus-daemon's)
    const auto = routeFile(file);
    if (lines > 0) expect(auto.router.program).toBe('remmina');
    expect(auto.events.filter((e) => e.kind === 'unknown')).toEqual([]);
  });

  it('13a: the wrong password shows as ERRCONNECT_CONNECT_TRANSPORT_FAILED on both streams', () => {
    const out = routeFile(join(RDP, '13-remmina-nla-wrong-password/a-wrong-password/client.stdout')).events;
    expect(out.at(-1)).toMatchObject({ program: 'remmina', kind: 'connect.failed', detail: { errconnect: 'ERRCONNECT_CONNECT_TRANSPORT_FAILED', code: '0x0002000D' } });
    const err = routeFile(join(RDP, '13-remmina-nla-wrong-password/a-wrong-password/client.stderr')).events;
    expect(err.filter((e) => e.detail.errconnect === 'ERRCONNECT_CONNECT_TRANSPORT_FAILED' && e.program === 'remmina')).toHaveLength(2);
  });
});
