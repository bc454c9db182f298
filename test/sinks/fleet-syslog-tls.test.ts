/**
 * syslog+tls:// (RFC 5425): against a node:tls receiver on 127.0.0.1 with a certificate made
 * by openssl for the test. With `?ca=` naming that certificate the framed messages arrive whole
 * (octet counting parsed here); without it the receiver is not trusted and nothing is sent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink } from '../../agent/sinks/fleet.js';
import { createForwarder } from '../../agent/sinks/forward-url.js';
import { fixtureReplays, INCIDENTS, replayInto } from './fleet-helpers.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** Splits "LEN SP MSG" frames; throws on a frame that does not add up. */
function frames(buf: Buffer): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const len = Number(buf.subarray(i, sp).toString());
    if (!Number.isInteger(len) || len <= 0) throw new Error(`bad frame length at ${i}`);
    out.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
    i = sp + 1 + len;
  }
  return out;
}

describe.skipIf(!hasOpenssl)('syslog over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
  if (hasOpenssl) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  }

  async function receiver(): Promise<{ port: number; data: () => Buffer }> {
    const chunks: Buffer[] = [];
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (s) => s.on('data', (c: Buffer) => chunks.push(c)));
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return { port: (server.address() as { port: number }).port, data: () => Buffer.concat(chunks) };
  }

  async function replay(url: string) {
    const fwd = createForwarder(url, { stateDir: mkdtempSync(join(tmpdir(), 'cw-tls-state-')), backoffMinMs: 50, backoffMaxMs: 200 });
    const seen: FleetRecord[] = [];
    const fleet = new FleetSink([fwd, { name: 'seen', push: (r) => void seen.push(r), close: async () => {} }]);
    for (const files of fixtureReplays().filter((f) => f[0]!.startsWith(INCIDENTS))) await replayInto(files, [fleet]);
    return { fwd, fleet, seen };
  }

  it('delivers RFC 5424 frames over TLS to a receiver whose CA it was given', async () => {
    const rx = await receiver();
    const { fwd, fleet, seen } = await replay(`syslog+tls://127.0.0.1:${rx.port}?ca=${encodeURIComponent(join(dir, 'cert.pem'))}`);
    const end = Date.now() + 10_000;
    while (frames(rx.data()).length < seen.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await fleet.close();
    const got = frames(rx.data());
    expect(got).toHaveLength(seen.length);
    got.forEach((m, i) => {
      expect(m).toMatch(/^<\d+>1 \S+ \S+ connwatch \d+ alert\.(raised|updated) \[connwatch@32473 /);
      expect(m).toContain(`seq="${seen[i]!.event.sequence}"`);
    });
    expect(fwd.stats()).toMatchObject({ sent: seen.length, dropped: 0 });
  });

  it('sends nothing to a receiver it cannot verify, and keeps the alerts', async () => {
    const rx = await receiver();
    const { fwd, fleet, seen } = await replay(`syslog+tls://127.0.0.1:${rx.port}`);
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.data().length).toBe(0);
    expect(fwd.stats()).toMatchObject({ sent: 0, buffered: seen.length, dropped: 0 });
    expect(fwd.stats().state).toMatch(/retrying: .*self[- ]signed/i);
    await fleet.close();
  });
});
