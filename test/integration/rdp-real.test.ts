/**
 * Real RDP programs on 127.0.0.1: a FreeRDP shadow server (NLA only, SAM file) under its own Xvfb,
 * real xfreerdp and rdesktop clients against it (wrong password, /sec:nla|tls|rdp, the certificate
 * question, a closed port), every run bounded by timeout(1). Their captured stdout/stderr go through
 * the agent's LineRouter, and the events must name the failure (kind, ERRCONNECT name).
 * Skips only when the binaries are missing (Debian: xvfb freerdp2-x11 freerdp2-shadow-x11 rdesktop).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Program } from '../../agent/event.js';
import { RDESKTOP_FALLBACK_PATTERNS } from '../../agent/parsers/rdesktop.js';
import { FREERDP_FALLBACK_PATTERNS } from '../../agent/parsers/freerdp.js';
import { freePort, rdpMissing, routeText, runClient, startRdpServer, type ClientRun, type RdpServer } from '../helpers/rdp-server.js';

const missing = rdpMissing(['Xvfb', 'freerdp-shadow-cli', 'xfreerdp', 'rdesktop', 'timeout', 'stdbuf', 'ss']);
const FALLBACKS: readonly string[] = [...FREERDP_FALLBACK_PATTERNS, ...RDESKTOP_FALLBACK_PATTERNS];

/** stdout and stderr of a run, each as its own source (as `connwatch wrap` keeps them). */
function eventsOf(run: ClientRun, program: Program): Event[] {
  return [...routeText(run.stdout, program, 'stdout').events, ...routeText(run.stderr, program, 'stderr').events];
}
const diagnostic = (events: Event[]) => events.filter((e) => e.kind !== 'noise' && e.kind !== 'info');
const vague = (events: Event[]) => events.filter((e) => e.kind === 'unknown' || FALLBACKS.includes(e.pattern ?? '')).map((e) => e.raw.text);

describe.skipIf(missing.length > 0)(`real xfreerdp and rdesktop against freerdp-shadow-cli${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`, () => {
  let srv: RdpServer;
  const env = (name: string) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: srv.home(name), DISPLAY: srv.display, LANG: 'C' });
  // stdbuf: stdout is block-buffered into a pipe and lost when timeout(1) kills the client (capture 11c2)
  const xfreerdp = (name: string, args: string[], input?: string | 'silent', seconds = 20) =>
    runClient('stdbuf', ['-oL', '-eL', 'xfreerdp', `/v:127.0.0.1:${srv.port}`, `/u:${srv.user}`, ...args], { seconds, env: env(name), ...(input !== undefined ? { input } : {}) });

  beforeAll(async () => {
    srv = await startRdpServer();
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  }, 30_000);

  it('xfreerdp, wrong NLA password: ERRCONNECT_CONNECT_TRANSPORT_FAILED; the server logs the MIC failure', async () => {
    const run = await xfreerdp('wrongpw', ['/p:Wrong-Password-1', '/cert:ignore', '/sec:nla']);
    expect(run.hung).toBe(false);
    const events = eventsOf(run, 'freerdp');
    expect(vague(events)).toEqual([]);
    const codes = events.filter((e) => e.pattern === 'freerdp.err.last-error').map((e) => [e.kind, e.detail.errconnect]);
    expect(codes).toContainEqual(['connect.failed', 'ERRCONNECT_CONNECT_TRANSPORT_FAILED']);
    await expect.poll(() => srv.serverLog(), { timeout: 10_000 }).toMatch(/Message Integrity Check \(MIC\) verification failed!/);
    const server = routeText(srv.serverLog(), 'freerdp').events;
    expect(vague(server)).toEqual([]);
    expect(server.some((e) => e.kind === 'auth.failed' && e.detail.side === 'server' && e.detail.reason === 'wrong-password')).toBe(true);
  });

  it.each([['tls'], ['rdp']])('xfreerdp /sec:%s against an NLA-only server: HYBRID_REQUIRED_BY_SERVER, nego.failed', async (sec) => {
    const run = await xfreerdp(`sec-${sec}`, [`/p:${'RDPtest-Pass-2024'}`, '/cert:ignore', `/sec:${sec}`]);
    const events = eventsOf(run, 'freerdp');
    expect(vague(events)).toEqual([]);
    expect(events.find((e) => e.pattern === 'freerdp.nego.server-says')?.detail.reason).toBe('HYBRID_REQUIRED_BY_SERVER');
    expect(events.find((e) => e.pattern === 'freerdp.err.last-error')).toMatchObject({ kind: 'nego.failed', detail: { errconnect: 'ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED', code: '0x0002000C' } });
  });

  it('xfreerdp, right password at /log-level:INFO: the session starts (then timeout ends it)', async () => {
    const run = await xfreerdp('ok', [`/p:${srv.password}`, '/cert:ignore', '/sec:nla', '/log-level:INFO'], undefined, 8);
    const events = eventsOf(run, 'freerdp');
    expect(vague(events)).toEqual([]);
    expect(events.some((e) => e.kind === 'session.started')).toBe(true);
    expect(events.filter((e) => e.pattern === 'freerdp.err.last-error')).toEqual([]);
  });

  it('xfreerdp, default certificate handling with a silent stdin: waits at the prompt until killed', async () => {
    const run = await xfreerdp('cert', [`/p:${srv.password}`], 'silent', 6);
    expect(run.hung).toBe(true);
    const events = eventsOf(run, 'freerdp');
    expect(vague(events)).toEqual([]);
    const prompt = events.find((e) => e.kind === 'prompt.certificate');
    expect(prompt).toMatchObject({ host: '127.0.0.1', port: srv.port, detail: { commonName: expect.any(String), thumbprint: expect.stringMatching(/^[0-9a-f:]+$/) } });
    expect(events.some((e) => e.kind === 'cert.untrusted' && e.detail.reason === 'name-mismatch')).toBe(true);
  });

  it('xfreerdp to a closed port: Broken pipe → connect.failed (reason reset), no "refused" text', async () => {
    const closed = await freePort();
    const run = await runClient('xfreerdp', [`/v:127.0.0.1:${closed}`, '/u:x', '/p:x', '/cert:ignore'], { seconds: 20, env: env('closed') });
    const events = eventsOf(run, 'freerdp');
    expect(vague(events)).toEqual([]);
    expect(events.some((e) => e.kind === 'connect.failed' && e.detail.reason === 'reset')).toBe(true);
    expect(events.some((e) => e.detail.errconnect === 'ERRCONNECT_CONNECT_TRANSPORT_FAILED')).toBe(true);
  });

  it('rdesktop, certificate answered "yes": NLA fails (no Kerberos TGT), the server requires CredSSP', async () => {
    const run = await runClient('rdesktop', ['-u', srv.user, '-p', srv.password, `127.0.0.1:${srv.port}`], { seconds: 20, env: env('rdesktop'), input: 'yes\n' });
    const events = eventsOf(run, 'rdesktop');
    expect(vague(events)).toEqual([]);
    const kinds = diagnostic(events).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['cert.untrusted', 'prompt.certificate', 'nla.failed', 'nego.failed']));
    expect(events.find((e) => e.kind === 'nego.failed')?.detail.reason).toBe('HYBRID_REQUIRED_BY_SERVER');
  });

  it('rdesktop, certificate question with a silent stdin: hangs at the prompt', async () => {
    const run = await runClient('rdesktop', ['-u', srv.user, '-p', srv.password, `127.0.0.1:${srv.port}`], { seconds: 5, env: env('rdesktop-hang'), input: 'silent' });
    expect(run.hung).toBe(true);
    const events = eventsOf(run, 'rdesktop');
    expect(vague(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'prompt.certificate', detail: { subject: expect.stringContaining('CN=') } });
  });

  it('rdesktop to a closed port: connect.failed naming the host', async () => {
    const closed = await freePort();
    const run = await runClient('rdesktop', ['-u', 'x', '-p', 'x', `127.0.0.1:${closed}`], { seconds: 20, env: env('rdesktop-closed') });
    const events = eventsOf(run, 'rdesktop');
    expect(vague(events)).toEqual([]);
    expect(diagnostic(events)).toMatchObject([{ kind: 'connect.failed', host: '127.0.0.1', detail: { level: 'error', subject: 'Core' } }]);
  });
});
