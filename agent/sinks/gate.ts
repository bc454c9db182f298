/**
 * AlertGate: between the rules and the sinks. It turns rule hits into Alerts (templates filled),
 * then decides what reaches a person:
 *
 *   - dedupe: an alert's id is derived from the rule, its key and the line that triggered it, so a
 *     line read again after a restart produces the same id; ids already delivered are remembered
 *     (persisted by the caller through `delivered`) and never notified twice;
 *   - throttle: at most one notification per rule and throttle key (default: host) per window;
 *     repeats inside the window only raise the count of the alert already shown;
 *   - fold: a notification waits `foldMs` (live) so that a burst becomes one notification with a count;
 *   - minimum severity for notifications (history keeps everything).
 *
 * Sinks are called in order for each alert: `record` sinks (history, printers) get every alert
 * and every count update; `notify` sinks (the desktop) get an alert once, after folding.
 */
import { createHash } from 'node:crypto';
import type { Alert, Sink } from '../alert.js';
import { SEVERITIES, type Severity } from '../event.js';
import type { RuleHit } from '../rules/runner.js';
import { keyOf } from '../rules/runner.js';
import { renderTemplate } from '../rules/template.js';

export interface GateOptions {
  /** Sinks that see every alert and every update of its count (history, stdout). */
  record: Sink[];
  /** Sinks that notify a person (desktop), once per alert after folding and throttling. */
  notify: Sink[];
  /** Minimum severity that is notified. Default "warning". */
  minSeverity?: Severity;
  /** How long a notification waits to fold a burst into one (ms). 0: at once (replay). */
  foldMs?: number;
  /** Ids already delivered (restored from state): never notified again. */
  delivered?: Set<string>;
  /** Called when an id was delivered, so the caller can persist it. */
  onDelivered?: (id: string) => void;
  /** Quiet hours: notifications are held (kept in history) while this returns true. */
  quiet?: (now: Date) => boolean;
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

interface Shown {
  alert: Alert;
  until: number;
  timer?: NodeJS.Timeout;
  sent: boolean;
}

const MAX_THROTTLE_ENTRIES = 10_000;

/** A failure from a client that runs a replaced library says so: that may be the whole story. */
function withStale(message: string, stale: string | undefined, category: string): string {
  return stale && category !== 'stale' ? `${message} ${stale}` : message;
}

export function alertFromHit(hit: RuleHit): Alert {
  const e = hit.event;
  const r = hit.rule;
  const origin = `${e.raw.source}#${e.raw.line ?? ''}@${e.raw.offset ?? ''}${e.raw.cursor ?? ''}`;
  const id = createHash('sha256').update(`${r.id}\u0000${hit.key}\u0000${origin}\u0000${e.time}`).digest('hex').slice(0, 20);
  const alert: Alert = {
    id,
    rule: r.id,
    severity: r.spec.severity,
    category: r.spec.category,
    title: renderTemplate(r.title, e, hit.extra),
    message: withStale(renderTemplate(r.message, e, hit.extra), e.connection?.stale, r.spec.category),
    remedy: renderTemplate(r.remedy, e, hit.extra),
    program: e.program,
    time: hit.time,
    key: hit.key,
    count: hit.count,
    evidence: [{ text: e.raw.text.slice(0, 500), source: e.raw.file ?? e.raw.source, ...(e.raw.line !== undefined ? { line: e.raw.line } : {}) }],
  };
  if (e.host !== undefined) alert.host = e.host;
  if (e.port !== undefined) alert.port = e.port;
  if (e.user !== undefined) alert.user = e.user;
  return alert;
}

export class AlertGate {
  private readonly shown = new Map<string, Shown>();
  private readonly delivered: Set<string>;
  private readonly pendingSends = new Set<Promise<void>>();
  readonly counts = { alerts: 0, notified: 0, suppressed: 0, duplicates: 0 };

  constructor(private readonly o: GateOptions) {
    this.delivered = o.delivered ?? new Set();
  }

  async accept(hit: RuleHit): Promise<Alert | undefined> {
    const alert = alertFromHit(hit);
    if (this.delivered.has(alert.id)) {
      this.counts.duplicates++;
      return undefined;
    }
    this.counts.alerts++;
    const throttleKey = `${hit.rule.id}\u0000${keyOf(hit.event, hit.rule.throttle.key)}`;
    const prev = this.shown.get(throttleKey);
    if (prev && alert.time < prev.until) {
      prev.alert.count += alert.count;
      this.counts.suppressed++;
      this.markDelivered(alert.id);
      for (const s of this.o.record) await this.safe(s, { ...prev.alert, time: alert.time });
      return undefined;
    }
    const entry: Shown = { alert, until: alert.time + hit.rule.throttle.withinMs, sent: false };
    this.shown.set(throttleKey, entry);
    if (this.shown.size > MAX_THROTTLE_ENTRIES) this.shown.delete(this.shown.keys().next().value!);
    this.markDelivered(alert.id);
    for (const s of this.o.record) await this.safe(s, alert);
    if (this.notifiable(alert)) {
      const foldMs = this.o.foldMs ?? 0;
      if (foldMs > 0) {
        entry.timer = setTimeout(() => this.track(this.send(entry)), foldMs);
      } else await this.send(entry);
    }
    return alert;
  }

  /** Sends what is still folding, and waits for sends in flight (shutdown, end of replay). */
  async flush(): Promise<void> {
    for (const entry of this.shown.values()) {
      if (entry.timer && !entry.sent) {
        clearTimeout(entry.timer);
        this.track(this.send(entry));
      }
    }
    await Promise.all([...this.pendingSends]);
  }

  private notifiable(alert: Alert): boolean {
    const min = this.o.minSeverity ?? 'warning';
    if (SEVERITIES.indexOf(alert.severity) < SEVERITIES.indexOf(min)) return false;
    if (this.o.quiet?.(new Date()) && alert.severity !== 'critical') return false;
    return this.o.notify.length > 0;
  }

  private async send(entry: Shown): Promise<void> {
    if (entry.sent) return;
    entry.sent = true;
    entry.timer = undefined;
    this.counts.notified++;
    for (const s of this.o.notify) await this.safe(s, { ...entry.alert });
  }

  private track(p: Promise<void>): void {
    this.pendingSends.add(p);
    void p.finally(() => this.pendingSends.delete(p));
  }

  private markDelivered(id: string): void {
    this.delivered.add(id);
    this.o.onDelivered?.(id);
  }

  private async safe(sink: Sink, alert: Alert): Promise<void> {
    try {
      await sink.deliver(alert);
    } catch (err) {
      this.o.log?.('error', `sink ${sink.name} failed for alert ${alert.rule}: ${(err as Error).message}`);
    }
  }
}
