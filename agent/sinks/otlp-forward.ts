/**
 * otlp+http:// and otlp+https://: fleet records as an OTLP/HTTP logs export (JSON encoding,
 * ExportLogsServiceRequest, POST to the URL's path, normally /v1/logs; Loki: /otlp/v1/logs).
 * One exporter reaches the OpenTelemetry Collector, Vector, Fluent Bit, Loki 3 and Elastic.
 *
 * As the OTLP specification (protocol/exporter, "OTLP/HTTP Response") says:
 *   - 2xx is success; a body with `partialSuccess.rejectedLogRecords` > 0 means those were refused:
 *     they are counted as dropped and the request is NOT retried;
 *   - 429, 502, 503 and 504 are retried, after `Retry-After` (seconds or an HTTP date) when the
 *     server sent one, else with exponential backoff (the Forwarder's);
 *   - any other status is not retryable: the batch is dropped and counted, with the server's
 *     google.rpc.Status message in the log.
 * Credentials in the URL (otlp+https://user:token@host/…) become a Basic Authorization header.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { flatten, type FleetRecord } from './ecs.js';
import type { SendOutcome, Transport } from './forward.js';
import { AGENT_VERSION } from './fleet.js';

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } };
interface KeyValue {
  key: string;
  value: AnyValue;
}

export function anyValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v !== null && typeof v === 'object') {
    return { kvlistValue: { values: Object.entries(v).filter(([, x]) => x !== undefined).map(([key, x]) => ({ key, value: anyValue(x) })) } };
  }
  return { stringValue: String(v) };
}

/** OTLP SeverityNumber: INFO 9, WARN 13, ERROR 17, FATAL 21. */
const SEVERITY_NUMBER = { info: 9, warning: 13, error: 17, critical: 21 } as const;

const nanos = (iso: string): string => `${BigInt(Date.parse(iso)) * 1_000_000n}`;

/** Resource attributes (who sends) are not repeated on every record. */
const RESOURCE_KEYS = new Set(['@timestamp', 'message', 'host.name', 'agent.type', 'agent.version', 'agent.ephemeral_id', 'ecs.version']);

export function logRecord(rec: FleetRecord): Record<string, unknown> {
  return {
    timeUnixNano: nanos(rec['@timestamp']),
    observedTimeUnixNano: nanos(rec.event.created),
    severityNumber: SEVERITY_NUMBER[rec.log.level],
    severityText: rec.log.level.toUpperCase(),
    body: { stringValue: rec.message },
    attributes: flatten(rec)
      .filter(([k]) => !RESOURCE_KEYS.has(k))
      .map(([key, v]) => ({ key, value: anyValue(v) })),
  };
}

/** One ExportLogsServiceRequest for a batch (all records of one agent run share the resource). */
export function exportRequest(batch: FleetRecord[]): Record<string, unknown> {
  const first = batch[0]!;
  const resource = [
    ['service.name', 'connwatch'],
    ['service.version', first.agent.version],
    ['service.instance.id', first.agent.ephemeral_id],
    ['host.name', first.host.name],
  ].map(([key, v]) => ({ key: key!, value: anyValue(v) }));
  return {
    resourceLogs: [
      {
        resource: { attributes: resource },
        scopeLogs: [{ scope: { name: 'connwatch', version: first.agent.version }, logRecords: batch.map(logRecord) }],
      },
    ],
  };
}

/** Retry-After: delta-seconds or an HTTP date; undefined when absent or unreadable. Capped at 10 minutes. */
export function retryAfterMs(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  const ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 600_000) : undefined;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

export interface OtlpTarget {
  url: URL;
  caFile?: string;
  timeoutMs?: number;
}

export class OtlpTransport implements Transport {
  readonly batchMax = 100;

  constructor(private readonly t: OtlpTarget) {}

  send(batch: FleetRecord[]): Promise<SendOutcome> {
    // each record group of one agent run (ephemeral id) is its own resource: the spool can hold older runs
    const runs = new Map<string, FleetRecord[]>();
    for (const r of batch) runs.set(r.agent.ephemeral_id, [...(runs.get(r.agent.ephemeral_id) ?? []), r]);
    const body = JSON.stringify(
      [...runs.values()].map(exportRequest).reduce((a, b) => ({ resourceLogs: [...(a.resourceLogs as unknown[]), ...(b.resourceLogs as unknown[])] })),
    );
    return this.post(body);
  }

  async close(): Promise<void> {}

  private post(body: string): Promise<SendOutcome> {
    const u = this.t.url;
    const https = u.protocol === 'https:';
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': `connwatch/${AGENT_VERSION}`,
    };
    if (u.username || u.password) headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    const options = {
      method: 'POST',
      hostname: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (https ? 443 : 80),
      path: `${u.pathname}${u.search}`,
      headers,
      timeout: this.t.timeoutMs ?? 5000,
      ...(https && this.t.caFile ? { ca: readFileSync(this.t.caFile) } : {}),
    };
    return new Promise<SendOutcome>((resolve) => {
      const req = (https ? httpsRequest : httpRequest)(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => resolve(outcome(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), res.headers['retry-after'])));
        res.on('error', (err) => resolve({ ok: false, retry: true, reason: err.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeout}ms`)));
      req.on('error', (err) => resolve({ ok: false, retry: true, reason: err.message }));
      req.end(body);
    });
  }
}

/** What an OTLP/HTTP answer means for the batch (see the header). */
export function outcome(status: number, text: string, retryAfter: string | undefined): SendOutcome {
  let parsed: { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string }; message?: string } = {};
  try {
    parsed = text ? (JSON.parse(text) as typeof parsed) : {};
  } catch {
    /* a body that is not JSON (a proxy's page): the status says enough */
  }
  if (status >= 200 && status < 300) {
    const rejected = Number(parsed.partialSuccess?.rejectedLogRecords ?? 0);
    const note = parsed.partialSuccess?.errorMessage;
    return { ok: true, ...(rejected > 0 ? { rejected } : {}), ...(note ? { note } : {}) };
  }
  const reason = `HTTP ${status}${parsed.message ? `: ${parsed.message}` : ''}`;
  if (RETRYABLE.has(status)) {
    const afterMs = retryAfterMs(retryAfter);
    return { ok: false, retry: true, reason, ...(afterMs !== undefined ? { afterMs } : {}) };
  }
  return { ok: false, retry: false, reason };
}
