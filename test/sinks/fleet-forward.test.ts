/**
 * The Forwarder's bounds, over real TCP (a port where nothing listens, a net server that
 * collects frames): memory, then disk, then the oldest dropped and counted and logged; without
 * a spool the oldest in memory go; push() never waits for the receiver; a spool
 * line that is not a record is dropped and counted, and the rest still goes out.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink } from '../../agent/sinks/fleet.js';
import { Forwarder } from '../../agent/sinks/forward.js';
import { SyslogTransport } from '../../agent/sinks/syslog-forward.js';
import { freePort } from '../helpers/rsyslog.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

function records(n: number): FleetRecord[] {
  const out: FleetRecord[] = [];
  const fleet = new FleetSink([{ name: 'c', push: (r) => void out.push(r), close: async () => {} }]);
  for (let i = 0; i < n; i++) {
    const a: Alert = {
      id: `id-${i}`, rule: 'plink.kex.gex-old-client', severity: 'error', category: 'negotiation', title: 'plink is too old',
      message: `attempt ${i} `.padEnd(400, 'x'), remedy: 'Upgrade PuTTY.', program: 'plink', host: '10.0.0.1', port: 22,
      time: Date.UTC(2026, 0, 1) + i, key: 'k', count: 1, evidence: [{ text: 'Server unexpectedly closed network connection', source: 'x.log' }],
    };
    fleet.deliver(a);
  }
  return out;
}

const spoolBytes = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);

describe('forwarder bounds', () => {
  it('fills memory, then the disk bound, then drops the oldest, counting and logging every loss', async () => {
    const port = await freePort(); // nothing listens there
    const spool = mkdtempSync(join(tmpdir(), 'cw-spool-'));
    const logs: string[] = [];
    const fwd = new Forwarder({
      name: `syslog+tcp://127.0.0.1:${port}`, transport: new SyslogTransport({ host: '127.0.0.1', port, tls: false, facility: 1 }),
      spoolDir: spool, memoryBytes: 8 << 10, diskBytes: 64 << 10, backoffMinMs: 10_000, log: (_l, m) => logs.push(m),
    });
    const recs = records(300);
    for (const r of recs) fwd.push(r);
    // push() returned 300 times without the receiver: everything is accounted for at once
    expect(fwd.stats().buffered + fwd.stats().dropped).toBe(recs.length);
    await new Promise((r) => setTimeout(r, 100));
    const s = fwd.stats();
    expect(s.sent).toBe(0);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.buffered + s.dropped).toBe(recs.length);
    expect(spoolBytes(spool)).toBeLessThanOrEqual(64 << 10);
    expect(logs.some((m) => /record\(s\) dropped: disk buffer full/.test(m))).toBe(true);
    await fwd.close();
    // what was left is stored for the next start: the newest, as a suffix without holes (and the
    // batch that was on its way when the receiver failed, kept as the oldest)
    const left = readdirSync(spool)
      .sort()
      .flatMap((f) => readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean))
      .map((l) => (JSON.parse(l) as FleetRecord).event.sequence);
    expect(left.length).toBe(s.buffered);
    const rest = left.filter((q) => q !== recs[0]!.event.sequence);
    expect(rest.at(-1)).toBe(recs.at(-1)!.event.sequence);
    expect(rest).toEqual(rest.map((_, i) => rest[0]! + i));
  });

  it('without a spool, drops the oldest in memory and says so', async () => {
    const port = await freePort();
    const logs: string[] = [];
    const fwd = new Forwarder({ name: 'x', transport: new SyslogTransport({ host: '127.0.0.1', port, tls: false, facility: 1 }), memoryBytes: 8 << 10, backoffMinMs: 10_000, log: (_l, m) => logs.push(m) });
    for (const r of records(50)) fwd.push(r);
    const s = fwd.stats();
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.buffered + s.dropped).toBe(50);
    expect(logs.join('\n')).toMatch(/memory buffer full and no spool directory/);
    await fwd.close();
    expect(fwd.stats().dropped).toBe(50);
  });

  it('gives up on a receiver that stops reading, instead of waiting for ever', async () => {
    const conns: Socket[] = [];
    const server = createServer((s) => {
      conns.push(s);
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const port = (server.address() as { port: number }).port;
    const t = new SyslogTransport({ host: '127.0.0.1', port, tls: false, facility: 1, timeoutMs: 300 });
    // far more than the socket buffers of both ends take
    const big = records(200).map((r) => ({ ...r, message: r.message.repeat(250) }));
    const out = await t.send(big);
    await t.close();
    for (const c of conns) c.destroy();
    expect(out).toMatchObject({ ok: false, retry: true, reason: 'the receiver took no data for 300ms' });
  });

  it('drops a spooled line that is not a record and sends the rest', async () => {
    const got: Buffer[] = [];
    const server = createServer((s) => s.on('data', (c: Buffer) => got.push(c)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const port = (server.address() as { port: number }).port;
    const spool = mkdtempSync(join(tmpdir(), 'cw-spool-'));
    mkdirSync(spool, { recursive: true });
    const [a, b] = records(2);
    writeFileSync(join(spool, 'seg-000000000000001-000001.ndjson'), `${JSON.stringify(a)}\n{"broken\n${JSON.stringify(b)}\n`);
    const fwd = new Forwarder({ name: 'y', transport: new SyslogTransport({ host: '127.0.0.1', port, tls: false, facility: 1 }), spoolDir: spool });
    const end = Date.now() + 5000;
    while (fwd.stats().sent < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await fwd.close();
    expect(fwd.stats()).toMatchObject({ sent: 2, dropped: 1, buffered: 0 });
    expect(Buffer.concat(got).toString()).toMatch(/seq="1".*seq="2"/s);
    expect(readdirSync(spool)).toEqual([]);
  });
});
