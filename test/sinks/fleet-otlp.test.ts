/**
 * otlp+http:// against a test receiver (node:http on 127.0.0.1) that answers as the OTLP/HTTP
 * specification allows: the payloads decode with the official opentelemetry-proto definitions
 * (protobufjs code generated from them, shipped by @opentelemetry/otlp-transformer) under the
 * JSON mapping, headers are checked, 429/503 are retried (after Retry-After when given), a
 * partial success is not retried and its rejected records are counted, a 400 is not retried.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink, newEmitter } from '../../agent/sinks/fleet.js';
import { createForwarder } from '../../agent/sinks/forward-url.js';
import { Heartbeat } from '../../agent/sinks/heartbeat.js';
import { outcome, retryAfterMs } from '../../agent/sinks/otlp-forward.js';
import { fixtureReplays, INCIDENTS, replayInto } from './fleet-helpers.js';

interface ProtoType {
  fromObject(o: unknown): unknown;
  toObject(m: unknown, o: Record<string, unknown>): Record<string, unknown>;
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
}
// the generated code sits outside the package's exports map: required by its path
const require = createRequire(import.meta.url);
const root = require('../../node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType } } } } };
};
const Request = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const JSON_MAPPING = { longs: String, enums: Number, bytes: String, defaults: false, oneofs: false };

interface Got {
  at: number;
  status: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A receiver that answers each request with the next scripted answer (the last one repeats). */
async function receiver(answers: Array<{ status: number; body?: unknown; headers?: Record<string, string> }>): Promise<{ url: string; got: Got[]; server: Server }> {
  const got: Got[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const a = answers[Math.min(got.length, answers.length - 1)]!;
      got.push({ at: Date.now(), status: a.status, method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  servers.push(server);
  return { url: `otlp+http://127.0.0.1:${port}/v1/logs`, got, server };
}
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const incidents = fixtureReplays().filter((f) => f[0]!.startsWith(INCIDENTS));

async function replayed(url: string, o: { backoffMinMs?: number } = {}) {
  const state = mkdtempSync(join(tmpdir(), 'cw-otlp-'));
  const fwd = createForwarder(url, { stateDir: state, backoffMinMs: o.backoffMinMs ?? 50, backoffMaxMs: 200 });
  const seen: FleetRecord[] = [];
  const fleet = new FleetSink([fwd, { name: 'seen', push: (r) => void seen.push(r), close: async () => {} }], newEmitter());
  for (const files of incidents) await replayInto(files, [fleet]);
  return { fwd, fleet, seen };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Attr = { key: string; value: Record<string, unknown> };
const attr = (attrs: Attr[], key: string) => attrs.find((a) => a.key === key)?.value;
/** The sequence numbers in a request: which records it carried. */
const seqs = (g: Got) => records(g.body).map((lr) => (attr(lr.attributes as Attr[], 'event.sequence') as { intValue: string }).intValue);
const records = (body: Record<string, unknown>) =>
  (body.resourceLogs as Array<{ scopeLogs: Array<{ logRecords: Array<Record<string, unknown>> }> }>).flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));

describe('OTLP/HTTP logs forwarding', () => {
  it('sends payloads that decode with the official opentelemetry-proto JSON mapping, with the right headers', async () => {
    const rx = await receiver([{ status: 200, body: {} }]);
    const { fwd, fleet, seen } = await replayed(rx.url.replace('//', '//ann:s3cret@'));
    new Heartbeat(fleet, () => ({ sources: [{ id: 'file:/var/log/auth.log', state: 'watching' }], counts: { lines: 3, alerts: 1 } })).beat();
    await until(() => rx.got.reduce((n, g) => n + records(g.body).length, 0) >= seen.length);
    await fleet.close();
    for (const g of rx.got) {
      expect(g.method).toBe('POST');
      expect(g.url).toBe('/v1/logs');
      expect(g.headers['content-type']).toBe('application/json');
      expect(g.headers['user-agent']).toMatch(/^connwatch\/\d+\.\d+\.\d+$/);
      expect(g.headers.authorization).toBe(`Basic ${Buffer.from('ann:s3cret').toString('base64')}`);
      // the official definitions: every field known (a misspelt one would vanish in the round trip), every type right
      const message = Request.fromObject(g.body);
      expect(Request.toObject(message, JSON_MAPPING)).toEqual(g.body);
      expect(Request.toObject(Request.decode(Request.encode(message).finish()), JSON_MAPPING)).toEqual(g.body);
    }
    const sent = rx.got.flatMap((g) => records(g.body));
    expect(sent).toHaveLength(seen.length);
    sent.forEach((lr, i) => {
      const r = seen[i]!;
      const attrs = lr.attributes as Attr[];
      expect(BigInt(lr.timeUnixNano as string)).toBe(BigInt(Date.parse(r['@timestamp'])) * 1_000_000n);
      expect(lr.body).toEqual({ stringValue: r.message });
      expect(attr(attrs, 'event.kind')).toEqual({ stringValue: r.event.kind });
      expect(attr(attrs, 'event.action')).toEqual({ stringValue: r.event.action });
      expect(attr(attrs, 'event.sequence')).toEqual({ intValue: String(r.event.sequence) });
      if (r.rule) {
        expect(lr.severityNumber).toBe({ info: 9, warning: 13, error: 17, critical: 21 }[r.log.level]);
        expect(attr(attrs, 'rule.id')).toEqual({ stringValue: r.rule.id });
        expect(attr(attrs, 'event.outcome')).toEqual({ stringValue: 'failure' });
        expect(attr(attrs, 'connwatch.remedy')).toEqual({ stringValue: r.connwatch.remedy });
        expect(attr(attrs, 'event.category')).toEqual({ arrayValue: { values: r.event.category.map((c) => ({ stringValue: c })) } });
      }
    });
    const resource = (rx.got[0]!.body.resourceLogs as Array<{ resource: { attributes: Attr[] } }>)[0]!.resource.attributes;
    expect(attr(resource, 'service.name')).toEqual({ stringValue: 'connwatch' });
    expect(fwd.stats()).toMatchObject({ sent: seen.length, dropped: 0, buffered: 0 });
  });

  it('retries 429 after Retry-After and 503 with backoff, and delivers once', async () => {
    const rx = await receiver([{ status: 429, headers: { 'Retry-After': '1' }, body: { code: 8, message: 'slow down' } }, { status: 503 }, { status: 200 }]);
    const { fwd, fleet, seen } = await replayed(rx.url);
    const delivered = () => rx.got.filter((g) => g.status === 200).flatMap(seqs);
    await until(() => delivered().length >= seen.length);
    await new Promise((r) => setTimeout(r, 200));
    await fleet.close();
    // Retry-After: 1 was honoured (the backoff alone would have waited 50 ms)
    expect(rx.got[1]!.at - rx.got[0]!.at).toBeGreaterThanOrEqual(950);
    // the same batch again after the 429 and after the 503, then the rest
    expect(rx.got[1]!.body).toEqual(rx.got[0]!.body);
    expect(rx.got[2]!.body).toEqual(rx.got[0]!.body);
    expect(rx.got.map((g) => g.status).slice(0, 3)).toEqual([429, 503, 200]);
    expect(delivered()).toEqual(seen.map((r) => String(r.event.sequence)));
    expect(fwd.stats()).toMatchObject({ sent: seen.length, dropped: 0, buffered: 0 });
  });

  it('does not retry a partial success, and counts the rejected records as dropped', async () => {
    const rx = await receiver([{ status: 200, body: { partialSuccess: { rejectedLogRecords: '2', errorMessage: 'timestamp too old' } } }, { status: 200 }]);
    const { fwd, fleet, seen } = await replayed(rx.url);
    await until(() => rx.got.flatMap(seqs).length >= seen.length);
    await new Promise((r) => setTimeout(r, 300));
    await fleet.close();
    // every record once: the partially accepted batch was not sent again
    expect(rx.got.flatMap(seqs)).toEqual(seen.map((r) => String(r.event.sequence)));
    expect(fwd.stats()).toMatchObject({ sent: seen.length - 2, dropped: 2, buffered: 0 });
  });

  it('drops a batch the receiver refuses for good (400), without retrying', async () => {
    const rx = await receiver([{ status: 400, body: { code: 3, message: 'bad payload' } }]);
    const { fwd, fleet, seen } = await replayed(rx.url);
    await until(() => rx.got.flatMap(seqs).length >= seen.length);
    await new Promise((r) => setTimeout(r, 300));
    await fleet.close();
    expect(rx.got.flatMap(seqs)).toEqual(seen.map((r) => String(r.event.sequence)));
    expect(fwd.stats()).toMatchObject({ sent: 0, dropped: seen.length, buffered: 0 });
  });

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('sends over https to a receiver whose CA it was given with ?ca=', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-otlps-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const bodies: string[] = [];
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      let t = '';
      req.on('data', (c: Buffer) => (t += c.toString()));
      req.on('end', () => {
        bodies.push(t);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const port = (server.address() as { port: number }).port;
    const { fwd, fleet, seen } = await replayed(`otlp+https://127.0.0.1:${port}/v1/logs?ca=${encodeURIComponent(join(dir, 'cert.pem'))}`);
    await until(() => bodies.flatMap((b) => records(JSON.parse(b) as Record<string, unknown>)).length >= seen.length);
    await fleet.close();
    expect(fwd.stats()).toMatchObject({ sent: seen.length, dropped: 0 });
  });

  it('reads a response as the specification says', () => {
    expect(outcome(200, '', undefined)).toEqual({ ok: true });
    expect(outcome(200, '{"partialSuccess":{}}', undefined)).toEqual({ ok: true });
    expect(outcome(202, '{"partialSuccess":{"rejectedLogRecords":3,"errorMessage":"x"}}', undefined)).toEqual({ ok: true, rejected: 3, note: 'x' });
    expect(outcome(502, 'not json', undefined)).toEqual({ ok: false, retry: true, reason: 'HTTP 502' });
    expect(outcome(504, '', '7')).toEqual({ ok: false, retry: true, reason: 'HTTP 504', afterMs: 7000 });
    expect(outcome(401, '{"message":"no token"}', '5')).toEqual({ ok: false, retry: false, reason: 'HTTP 401: no token' });
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('99999', now)).toBe(600_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
