/**
 * The data of `connwatch report`: per host, when connections were attempted and succeeded, and
 * the alerts (failures and hangs) with their rule, evidence and remedy. Built from a replay's
 * events and alerts (ReportCollector), or from the agent's alert history alone.
 *
 * Bounded whatever the input (a year of a server's logs): marks are counted in TIME_BINS bins per
 * host and kind, alerts are grouped by rule and host (a count, first and last time, the evidence
 * of the latest), and only the MAX_HOSTS busiest hosts get a timeline row.
 */
import type { Alert } from '../alert.js';
import type { Event, Severity } from '../event.js';

export const TIME_BINS = 240;
export const MAX_HOSTS = 200;
export const MAX_GROUPS = 2000;

export type Mark = 'attempt' | 'success' | 'failure' | 'hang';
export const MARKS: readonly Mark[] = ['attempt', 'success', 'failure', 'hang'];

export interface AlertGroup {
  rule: string;
  severity: Severity;
  category: string;
  title: string;
  program: string;
  host: string;
  count: number;
  first: number;
  last: number;
  message: string;
  remedy: string;
  evidence: Array<{ text: string; source: string; line?: number }>;
}

export interface HostRow {
  host: string;
  programs: string[];
  totals: Record<Mark, number>;
  /** Per mark, how many in each of TIME_BINS equal slices of [from, to]. */
  bins: Record<Mark, number[]>;
}

export interface ReportData {
  version: 1;
  generatedAt: string;
  from: number;
  to: number;
  inputs: string[];
  programs: string[];
  hosts: HostRow[];
  /** Hosts left out of the timeline (MAX_HOSTS), with their totals folded into `otherHosts`. */
  otherHosts: number;
  groups: AlertGroup[];
  /** Groups left out (MAX_GROUPS), the least recent. */
  otherGroups: number;
  totals: Record<Mark, number> & { lines: number; events: number; alerts: number };
}

interface HostAcc {
  programs: Set<string>;
  times: Record<Mark, number[]>;
}

const NO_HOST = '(no host)';
const emptyMarks = (): Record<Mark, number> => ({ attempt: 0, success: 0, failure: 0, hang: 0 });

/**
 * Collects marks and alerts; events and alerts outside [from, to] are left out. The times are
 * kept until build() bins them: a year of sshd logs is some million numbers, small beside the
 * replay itself.
 */
export class ReportCollector {
  private readonly hosts = new Map<string, HostAcc>();
  private readonly groups = new Map<string, AlertGroup>();
  private readonly succeeded = new Set<string>();
  private readonly started = new Set<string>();
  private readonly programs = new Set<string>();
  private min = Infinity;
  private max = -Infinity;
  alerts = 0;

  constructor(
    private readonly from = -Infinity,
    private readonly to = Infinity,
  ) {}

  private acc(host: string | undefined, program: string): HostAcc {
    const h = host ?? NO_HOST;
    let a = this.hosts.get(h);
    if (!a) this.hosts.set(h, (a = { programs: new Set(), times: { attempt: [], success: [], failure: [], hang: [] } }));
    a.programs.add(program);
    this.programs.add(program);
    return a;
  }

  private mark(host: string | undefined, program: string, mark: Mark, time: number): void {
    if (time < this.from || time > this.to) return;
    if (time < this.min) this.min = time;
    if (time > this.max) this.max = time;
    this.acc(host, program).times[mark].push(time);
  }

  event(e: Event): void {
    const id = e.connection?.id;
    if (id !== undefined) {
      // a connection: one attempt (its first event that names the host, or its connect.start)
      // and at most one success (auth, then session)
      const host = e.host ?? e.connection?.host;
      const success = e.kind === 'auth.success' || e.kind === 'session.started';
      if (!this.started.has(id) && (host !== undefined || e.kind === 'connect.start' || success)) {
        this.started.add(id);
        this.mark(host, e.program, 'attempt', e.time);
      }
      if (success && !this.succeeded.has(id)) {
        this.succeeded.add(id);
        this.mark(host, e.program, 'success', e.time);
      }
      return;
    }
    // outside a connection (sshd at LogLevel INFO without pids): each login is an attempt; its
    // success is the auth line (the PAM "session opened" that follows is the same login)
    if (e.kind === 'connect.start' || e.kind === 'auth.failed' || e.kind === 'auth.invalid-user' || e.kind === 'auth.success') this.mark(e.host, e.program, 'attempt', e.time);
    if (e.kind === 'auth.success' || (e.kind === 'session.started' && e.program !== 'sshd')) this.mark(e.host, e.program, 'success', e.time);
  }

  alert(a: Alert | (Alert & { firstSeen: number; lastSeen: number })): void {
    const last = 'lastSeen' in a ? a.lastSeen : a.time;
    const first = 'firstSeen' in a ? a.firstSeen : a.time;
    if (last < this.from || first > this.to) return;
    this.alerts++;
    this.mark(a.host, a.program, a.category === 'hang' ? 'hang' : 'failure', last);
    const key = `${a.rule}\0${a.host ?? ''}`;
    const g = this.groups.get(key);
    if (!g) {
      this.groups.set(key, {
        rule: a.rule,
        severity: a.severity,
        category: a.category,
        title: a.title,
        program: a.program,
        host: a.host ?? NO_HOST,
        count: a.count,
        first,
        last,
        message: a.message,
        remedy: a.remedy,
        evidence: a.evidence.slice(-5),
      });
      return;
    }
    g.count += a.count;
    g.first = Math.min(g.first, first);
    if (last >= g.last) {
      g.last = last;
      g.message = a.message;
      g.evidence = a.evidence.slice(-5);
    }
  }

  build(o: { inputs: string[]; lines: number; events: number; now?: number }): ReportData {
    const from = Number.isFinite(this.from) ? this.from : this.min;
    const to = Number.isFinite(this.to) ? this.to : this.max;
    const lo = Number.isFinite(from) ? from : 0;
    const hi = Number.isFinite(to) && to > lo ? to : lo + 1;
    const totals = { ...emptyMarks(), lines: o.lines, events: o.events, alerts: this.alerts };
    const rows: HostRow[] = [];
    for (const [host, a] of this.hosts) {
      const row: HostRow = { host, programs: [...a.programs].sort(), totals: emptyMarks(), bins: { attempt: [], success: [], failure: [], hang: [] } };
      for (const m of MARKS) {
        row.totals[m] = a.times[m].length;
        totals[m] += a.times[m].length;
        const bins = new Array<number>(TIME_BINS).fill(0);
        for (const t of a.times[m]) bins[Math.min(TIME_BINS - 1, Math.floor(((t - lo) / (hi - lo)) * TIME_BINS))]!++;
        row.bins[m] = bins;
      }
      rows.push(row);
    }
    const weight = (r: HostRow) => r.totals.failure * 4 + r.totals.hang * 4 + r.totals.attempt + r.totals.success;
    rows.sort((a, b) => weight(b) - weight(a) || a.host.localeCompare(b.host));
    const groups = [...this.groups.values()].sort((a, b) => b.last - a.last);
    return {
      version: 1,
      generatedAt: new Date(o.now ?? Date.now()).toISOString(),
      from: lo,
      to: hi,
      inputs: o.inputs,
      programs: [...this.programs].sort(),
      hosts: rows.slice(0, MAX_HOSTS),
      otherHosts: Math.max(0, rows.length - MAX_HOSTS),
      groups: groups.slice(0, MAX_GROUPS),
      otherGroups: Math.max(0, groups.length - MAX_GROUPS),
      totals,
    };
  }
}
