/**
 * The fleet record: one alert (or one update of it, or a heartbeat) as an ECS document whose
 * dotted paths are also the OpenTelemetry log attribute names. Every fleet output (the NDJSON
 * stream, journald, syslog, OTLP) is made from this one record, so they all carry the same
 * sequence number and action. Field by field: docs/fleet.md; schema: docs/alert-stream.schema.json.
 */
import type { Alert } from '../alert.js';
import type { Category, Severity } from '../event.js';
import { SERVER_PROGRAMS as SERVER_PROGRAM_NAMES } from '../programs.js';

export const ECS_VERSION = '8.11.0';

export interface EvidenceRecord {
  text: string;
  source: string;
  line?: number;
}

export interface HeartbeatFacts {
  interval_s: number;
  uptime_s: number;
  sources: Array<{ id: string; state: string }>;
  counts: Record<string, number>;
  forward?: Array<{ url: string; sent: number; buffered: number; dropped: number; state: string }>;
}

export interface FleetRecord {
  '@timestamp': string;
  ecs: { version: string };
  event: {
    kind: 'alert' | 'state';
    category: string[];
    type: string[];
    outcome?: 'failure';
    /** alert.raised, alert.updated, heartbeat */
    action: string;
    /** The alert's id: the same for every update of one alert (an index keyed on it keeps the latest). */
    id: string;
    /** Counts up by one per record this agent run emitted; with agent.ephemeral_id, unique. */
    sequence: number;
    /** Syslog severity number (2 critical, 3 error, 4 warning, 6 info). */
    severity: number;
    created: string;
    module: 'connwatch';
    dataset: 'connwatch.alert' | 'connwatch.heartbeat';
  };
  log: { level: Severity };
  message: string;
  rule?: { id: string; name: string; category: Category; ruleset: 'connwatch' };
  host: { name: string };
  user?: { name: string };
  process?: { name: string; pid?: number };
  source?: { address: string; port?: number };
  destination?: { address: string; port?: number };
  agent: { type: 'connwatch'; version: string; ephemeral_id: string };
  connwatch: {
    severity?: Severity;
    title?: string;
    remedy?: string;
    count?: number;
    key?: string;
    evidence?: EvidenceRecord[];
    client?: { version: string };
    server?: { version: string };
    heartbeat?: HeartbeatFacts;
  };
}

/** Who is emitting: filled once per agent run. */
export interface Emitter {
  hostName: string;
  version: string;
  /** Random per agent run. */
  ephemeralId: string;
}

export const SYSLOG_SEVERITY: Record<Severity, number> = { info: 6, warning: 4, error: 3, critical: 2 };

/** ECS categorisation per connwatch category (ECS allowed values only). */
const ECS_CATEGORY: Record<Category, string[]> = {
  hang: ['network'],
  negotiation: ['network'],
  hostkey: ['network', 'authentication'],
  auth: ['authentication'],
  network: ['network'],
  certificate: ['network'],
  stale: ['package', 'process'],
  server: ['network'],
  security: ['intrusion_detection', 'network'],
  other: ['network'],
};

/** An alert, with its pid and versions when its lines said them. */
type AlertLike = Alert;

/** sshd's alerts name the client (the far end is the source); a client's name the server it connected to. */
const SERVER_PROGRAMS = new Set<string>(SERVER_PROGRAM_NAMES);

export function alertRecord(alert: Alert, action: 'alert.raised' | 'alert.updated', sequence: number, who: Emitter, now = Date.now()): FleetRecord {
  const a = alert as AlertLike;
  const category = ECS_CATEGORY[a.category] ?? ['network'];
  const rec: FleetRecord = {
    '@timestamp': new Date(a.time).toISOString(),
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      category,
      type: category.includes('network') ? ['connection', 'error'] : ['error'],
      outcome: 'failure',
      action,
      id: a.id,
      sequence,
      severity: SYSLOG_SEVERITY[a.severity],
      created: new Date(now).toISOString(),
      module: 'connwatch',
      dataset: 'connwatch.alert',
    },
    log: { level: a.severity },
    message: a.message,
    rule: { id: a.rule, name: a.title, category: a.category, ruleset: 'connwatch' },
    host: { name: who.hostName },
    process: { name: a.program, ...(a.pid !== undefined ? { pid: a.pid } : {}) },
    agent: { type: 'connwatch', version: who.version, ephemeral_id: who.ephemeralId },
    connwatch: {
      severity: a.severity,
      title: a.title,
      remedy: a.remedy,
      count: a.count,
      key: a.key,
      evidence: a.evidence.map((e) => ({ text: e.text, source: e.source, ...(e.line !== undefined ? { line: e.line } : {}) })),
      ...(a.clientVersion ? { client: { version: a.clientVersion } } : {}),
      ...(a.serverVersion ? { server: { version: a.serverVersion } } : {}),
    },
  };
  if (a.user !== undefined) rec.user = { name: a.user };
  if (a.host !== undefined) {
    const end = { address: a.host, ...(a.port !== undefined ? { port: a.port } : {}) };
    if (SERVER_PROGRAMS.has(a.program)) rec.source = end;
    else rec.destination = end;
  }
  return rec;
}

export function heartbeatRecord(facts: HeartbeatFacts, sequence: number, who: Emitter, now = Date.now()): FleetRecord {
  const t = new Date(now).toISOString();
  const alerts = facts.counts.alerts ?? 0;
  const dropped = (facts.forward ?? []).reduce((n, f) => n + f.dropped, 0);
  return {
    '@timestamp': t,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'state',
      category: ['host'],
      type: ['info'],
      action: 'heartbeat',
      id: `heartbeat-${who.ephemeralId}-${sequence}`,
      sequence,
      severity: SYSLOG_SEVERITY.info,
      created: t,
      module: 'connwatch',
      dataset: 'connwatch.heartbeat',
    },
    log: { level: 'info' },
    message: `connwatch ${who.version} alive for ${facts.uptime_s}s: ${facts.sources.length} sources, ${alerts} alerts${dropped ? `, ${dropped} forwarded records dropped` : ''}`,
    host: { name: who.hostName },
    agent: { type: 'connwatch', version: who.version, ephemeral_id: who.ephemeralId },
    connwatch: { heartbeat: facts },
  };
}

/**
 * The record as flat dotted keys (`event.kind`, `rule.id`): the OpenTelemetry attribute names,
 * and what Loki, Vector and Elasticsearch show when they flatten the document.
 */
export function flatten(rec: FleetRecord): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) if (x !== undefined) walk(prefix ? `${prefix}.${k}` : k, x);
    } else out.push([prefix, v]);
  };
  walk('', rec);
  return out;
}
