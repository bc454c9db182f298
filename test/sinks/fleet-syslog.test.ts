/**
 * syslog+tcp:// against a real rsyslog (test/helpers/rsyslog.ts): the incident transcripts'
 * alerts arrive as RFC 5424 with their structured data intact (parsed by rsyslog's own
 * mmpstrucdata); with rsyslog stopped they are buffered (memory, then disk), and once it is back
 * every alert arrives exactly once, in order. Formatting details are checked without a receiver.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink } from '../../agent/sinks/fleet.js';
import { createForwarder, parseForwardUrl } from '../../agent/sinks/forward-url.js';
import { formatSyslog, frame, sdEscape, structuredData } from '../../agent/sinks/syslog-forward.js';
import { StreamFile } from '../../agent/sinks/stream.js';
import { RSYSLOGD, Rsyslog } from '../helpers/rsyslog.js';
import { fixtureReplays, INCIDENTS, replayInto } from './fleet-helpers.js';

const incidents = fixtureReplays().filter((f) => f[0]!.startsWith(INCIDENTS));

describe.skipIf(!RSYSLOGD)('syslog forwarding into a real rsyslog', () => {
  let rs: Rsyslog;
  beforeAll(async () => {
    rs = await Rsyslog.start();
  });
  afterAll(async () => {
    await rs?.stop();
  });

  it('delivers the incident replays with structured data intact', async () => {
    const state = mkdtempSync(join(tmpdir(), 'cw-fwd-'));
    const fwd = createForwarder(`syslog+tcp://127.0.0.1:${rs.port}?facility=local3`, { stateDir: state });
    const stream = new StreamFile({ path: join(state, 'alerts.ndjson') });
    const seen: FleetRecord[] = [];
    const fleet = new FleetSink([fwd, stream, { name: 'seen', push: (r) => void seen.push(r), close: async () => {} }]);
    for (const files of incidents) await replayInto(files, [fleet]);
    expect(seen.length).toBeGreaterThan(3);
    const got = await rs.waitFor(seen.length);
    await fleet.close();
    expect(got).toHaveLength(seen.length);
    got.forEach((m, i) => {
      const r = seen[i]!;
      const sd = m['rfc5424-sd']!['connwatch@32473']!;
      expect(sd).toMatchObject({ rule: r.rule!.id, outcome: 'failure', action: r.event.action, id: r.event.id, seq: String(r.event.sequence), severity: r.log.level, program: r.process!.name });
      if (r.destination) expect(sd.host).toBe(r.destination.address);
      expect(m['rfc5424-sd']!['remedy@32473']!.text).toBe(r.connwatch.remedy);
      expect(m['rfc5424-sd']!['evidence@32473']!.line0).toBe(r.connwatch.evidence![0]!.text);
      expect(m.app).toBe('connwatch');
      expect(m.msgid).toBe(r.event.action);
      expect(Number(m.pri)).toBe(19 * 8 + r.event.severity);
      expect(m.msg).toContain(r.message);
    });
  });

  it('buffers while rsyslog is away and delivers every alert once when it is back', async () => {
    const state = mkdtempSync(join(tmpdir(), 'cw-fwd-'));
    const before = rs.messages().length;
    // a small memory bound, so the wait also goes through the disk spool
    const fwd = createForwarder(`syslog+tcp://127.0.0.1:${rs.port}`, { stateDir: state, memoryBytes: 8192, backoffMinMs: 50, backoffMaxMs: 300 });
    const seen: FleetRecord[] = [];
    const fleet = new FleetSink([fwd, { name: 'seen', push: (r) => void seen.push(r), close: async () => {} }]);
    await replayInto(incidents[0]!, [fleet]);
    const first = seen.length;
    await rs.waitFor(before + first);
    await rs.stop();
    // the forwarder sees the connection close before it writes again
    await new Promise((r) => setTimeout(r, 200));
    for (const files of [...incidents, ...incidents]) await replayInto(files, [fleet]);
    await new Promise((r) => setTimeout(r, 500));
    expect(rs.messages().length).toBe(before + first);
    const waiting = fwd.stats();
    expect(waiting.buffered).toBe(seen.length - first);
    expect(waiting.state).toMatch(/^retrying/);
    expect(waiting.dropped).toBe(0);
    // past 8 KiB in memory, the oldest wait on disk
    expect(spooled(state).length).toBeGreaterThan(0);
    await rs.start();
    const got = (await rs.waitFor(before + seen.length)).slice(before);
    await new Promise((r) => setTimeout(r, 300));
    expect(rs.messages().length - before).toBe(seen.length);
    const key = (id: string, seq: string | number) => `${id}#${seq}`;
    expect(got.map((m) => key(m['rfc5424-sd']!['connwatch@32473']!.id!, m['rfc5424-sd']!['connwatch@32473']!.seq!))).toEqual(seen.map((r) => key(r.event.id, r.event.sequence)));
    expect(fwd.stats()).toMatchObject({ sent: seen.length, buffered: 0, dropped: 0 });
    await fleet.close();
    expect(spooled(state)).toEqual([]);
  });

  it('keeps what it could not send across a restart of the agent, and sends it once', async () => {
    const state = mkdtempSync(join(tmpdir(), 'cw-fwd-'));
    const url = `syslog+tcp://127.0.0.1:${rs.port}`;
    await rs.stop();
    const before = rs.messages().length;
    const seen: FleetRecord[] = [];
    const fleet = new FleetSink([createForwarder(url, { stateDir: state, backoffMinMs: 50 }), { name: 'seen', push: (r) => void seen.push(r), close: async () => {} }]);
    for (const files of incidents) await replayInto(files, [fleet]);
    await fleet.close();
    expect(spooled(state).length).toBeGreaterThan(0);
    await rs.start();
    const again = createForwarder(url, { stateDir: state, backoffMinMs: 50 });
    const got = (await rs.waitFor(before + seen.length)).slice(before);
    await again.close();
    expect(got.map((m) => m['rfc5424-sd']!['connwatch@32473']!.seq)).toEqual(seen.map((r) => String(r.event.sequence)));
    expect(again.stats()).toMatchObject({ sent: seen.length, buffered: 0, dropped: 0 });
    expect(spooled(state)).toEqual([]);
  });
});

function spooled(state: string): string[] {
  return (readdirSync(join(state, 'forward'), { recursive: true }) as string[]).filter((f) => /seg-[^/]*\.ndjson$/.test(f));
}

describe('RFC 5424 formatting', () => {
  const rec = {
    '@timestamp': '2026-01-02T03:04:05.000Z',
    event: { kind: 'alert', action: 'alert.raised', id: 'abc', sequence: 7, severity: 3, outcome: 'failure', created: '2026-01-02T03:04:06.000Z' },
    log: { level: 'error' },
    message: 'line one\nline "two"',
    rule: { id: 'plink.kex', name: 'No kex', category: 'negotiation', ruleset: 'connwatch' },
    host: { name: 'ws 17' },
    process: { name: 'plink' },
    destination: { address: '10.0.0.1', port: 22 },
    agent: { type: 'connwatch', version: '0.1.0', ephemeral_id: 'e' },
    connwatch: { title: 'No kex', remedy: 'Set "kex" ] right \\ now', evidence: [{ text: 'a]b"c\\d', source: 'x' }], count: 2 },
  } as unknown as FleetRecord;

  it('escapes SD-PARAM values as RFC 5424 §6.3.3 says', () => {
    expect(sdEscape('a"b\\c]d\ne')).toBe('a\\"b\\\\c\\]d e');
    expect(structuredData(rec)).toContain('[remedy@32473 text="Set \\"kex\\" \\] right \\\\ now"]');
  });

  it('writes header, structured data and message, framed by their byte count', () => {
    const msg = formatSyslog(rec, 16, 4242);
    expect(msg).toMatch(/^<131>1 2026-01-02T03:04:05\.000Z ws_17 connwatch 4242 alert\.raised \[connwatch@32473 kind="alert" action="alert\.raised" id="abc" seq="7" rule="plink\.kex" outcome="failure" severity="error" category="negotiation" program="plink" count="2" host="10\.0\.0\.1" port="22" agent="e"\]/);
    expect(msg.endsWith(' \ufeffNo kex: line one line "two"')).toBe(true);
    const framed = frame('é');
    expect(framed).toBe('2 é');
  });

  it('rejects a URL it cannot use with a message that says why', () => {
    expect(() => parseForwardUrl('syslog+tcp://host')).toThrow(/names no port/);
    expect(() => parseForwardUrl('syslog+udp://host:514')).toThrow(/scheme "syslog\+udp" is not supported/);
    expect(() => parseForwardUrl('syslog+tcp://h:514?facility=nope')).toThrow(/facility "nope"/);
    expect(() => parseForwardUrl('otlp+http://h:4318')).toThrow(/\/v1\/logs/);
    expect(() => parseForwardUrl('otlp+https://u:secret@h/v1/logs?x=1')).toThrow(/u:\*\*\*@h/);
    expect(parseForwardUrl('syslog+tls://[::1]:6514?facility=local0')).toMatchObject({ kind: 'syslog', host: '::1', port: 6514, tls: true, facility: 16 });
  });
});
