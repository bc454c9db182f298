/**
 * AlertGate: between the rules and the sinks. It turns rule hits into Alerts (rendered by
 * rules/alerts.ts, only for hits that become one), then decides what reaches a person:
 *
 *   - dedupe: an alert's id is derived from the rule, its key and the line that triggered it, so a
 *     line read again after a restart produces the same id; ids already delivered are remembered
 *     (persisted by the caller through `delivered`) and never notified twice;
 *   - throttle: at most one notification per rule and throttle key (default: host) per window;
 *     repeats inside the window only raise the count of the alert already shown;
 *   - fold: a notification waits `foldMs` (live) so that a burst becomes one notification with a count;
 *   - minimum severity for notifications (history keeps everything);
 *   - join (client ↔ server): a rule with `joins` and the rules it names see the same failed
 *     attempt from the two ends (plink's "expected key exchange group packet" and sshd's
 *     "kex protocol error: type 30"; which hits may join: correlate/join.ts). Their alerts are
 *     held for the join window; when the partner comes within `joinWithin` on event time for a
 *     compatible host (see hostsCompatible), ONE
 *     alert goes out: the declaring rule's, with the other's line, title and remedy merged in, under
 *     the id of whichever came first; the other is never recorded or notified on its own. Live
 *     (foldMs > 0) the first alert is recorded at once (history must not lose it in a crash) and
 *     the merge is recorded as an update of the same id; only the notification waits. In replay
 *     (foldMs 0) there is no wall clock to wait on: records are held on event time and released
 *     when a later alert is past the window, or at flush(), so replay prints what live shows.
 *
 * Sinks are called in order for each alert: `record` sinks (history, printers) get every alert
 * and every update of it (a count, a merged partner), under the same id. `notify` sinks (the
 * desktop) are reached through the NoticeBoard (notices.ts), live: the first alert of warning or
 * above of an attempt is shown at once, never held for a join or a fold, and what comes later for
 * the same attempt updates that notification in place.
 *
 * Counts are attempts: a repeat inside the throttle window raises "(×N)" only when it comes from
 * another attempt (another correlation key) than the ones already counted; a second rule hit or
 * a second line of the same attempt does not. A threshold alert stands for one occurrence (its
 * message says how many lines: {count}).
 */
import type { Alert, Sink } from '../alert.js';
import type { Severity } from '../event.js';
import type { RuleHit } from '../rules/runner.js';
import { keyOf } from '../correlate/keys.js';
import { alertFromHit, alertId, mergeAlerts } from '../rules/alerts.js';
import { joinable, joinWindow, sameAttempt } from '../correlate/join.js';
import { RecentMap, RecentSet } from '../recent.js';
import { NoticeBoard } from './notices.js';

export { hostsCompatible, sameAttempt } from '../correlate/join.js';
export { alertFromHit, alertId, mergeAlerts } from '../rules/alerts.js';

export interface GateOptions {
  /** Sinks that see every alert and every update of its count (history, stdout). */
  record: Sink[];
  /** Sinks that notify a person (desktop): one notification per story, updated in place (notices.ts). */
  notify: Sink[];
  /** Minimum severity that is notified. Default "warning". */
  minSeverity?: Severity;
  /**
   * Live (> 0) or replay (0). Live, it is also the least time between two updates of one
   * notification; the first notification of a story never waits.
   */
  foldMs?: number;
  /** Ids already delivered (restored from state): never notified again. See newDeliveredSet. */
  delivered?: RecentSet<string>;
  /**
   * Replay: every line is read once, so an id can only come again from the same line (two events
   * of one line, two windows it opened). No set of delivered ids is kept, and an id is hashed only
   * for an alert that is recorded, not for a repeat that only raises a count.
   */
  uniqueIds?: boolean;
  /**
   * Replay printing texts: alert ids are never shown or saved, only told apart, so they are
   * numbered instead of hashed (see idOf). Needs uniqueIds.
   */
  localIds?: boolean;
  /** Called when an id was delivered, so the caller can persist it. */
  onDelivered?: (id: string) => void;
  /** Quiet hours: notifications are held (kept in history) while this returns true. */
  quiet?: (now: Date) => boolean;
  /** A rule silenced for a host (a notification's "silence for a day"). */
  silenced?: (rule: string, host: string | undefined, now: number) => boolean;
  /** Wall clock of the notice board (tests). */
  now?: () => number;
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

interface Shown {
  alert: Alert;
  until: number;
  /** The attempts (countedAs) counted into alert.count; bounded, see MAX_ATTEMPT_KEYS. */
  attempts: Set<string>;
  /** Replay: the record waits until its join window passed (see Held). */
  sent: boolean;
}

/** Attempt keys one throttle window remembers; past this every repeat counts. */
const MAX_ATTEMPT_KEYS = 256;

/** An alert of a joinable rule, waiting for its partner from the other end. */
interface Held {
  hit: RuleHit;
  entry: Shown;
  /** Latest event time a partner may have. */
  deadline: number;
  /** Already given to the record sinks (live). */
  recorded: boolean;
  /** The partner's alert was merged in. */
  merged: boolean;
  timer?: NodeJS.Timeout;
}

const MAX_THROTTLE_ENTRIES = 10_000;
/**
 * A shown alert is forgotten this long after its throttle window ended (it throttles nothing any
 * more; kept a while for logs whose time steps back). Without it, a long replay kept the last
 * 10,000 alerts with their texts: a third of its live heap.
 */
const SHOWN_AFTER_WINDOW_MS = 3_600_000;
/** Alert ids remembered for dedupe (the oldest go first). */
const MAX_DELIVERED_IDS = 20_000;

/** The set of delivered ids a gate keeps (give it `ids` restored from state). */
export function newDeliveredSet(ids: Iterable<string> = []): RecentSet<string> {
  return new RecentSet(MAX_DELIVERED_IDS, ids);
}
const MAX_HELD = 1_000;

/** The throttle window a hit falls in: its rule and the values of the rule's throttle key. */
function throttleKeyOf(hit: RuleHit): string {
  return `${hit.rule.id}\u0000${keyOf(hit.event, hit.rule.throttle.key)}`;
}

/**
 * What one attempt is, for "(×N)": its correlation key with the far end's address and port. A
 * connection keeps one source port; sshd's lines without a pid (MaxStartups drops, written by the
 * listener) share a key, and their ports tell the clients apart.
 */
function countedAs(hit: RuleHit): string {
  const e = hit.event;
  // one run of these clients is one attempt, however many connections it makes (xfreerdp 2 tries
  // NLA, then TLS on a second connection); Remmina's one process makes many attempts
  // (whose later lines may not repeat the port)
  if (e.pid !== undefined && ONE_ATTEMPT_PER_RUN.has(e.program)) return `${e.program}\u0000${e.pid}`;
  return `${hit.key}\u0000${e.host ?? ''}\u0000${e.port ?? ''}`;
}
const ONE_ATTEMPT_PER_RUN: ReadonlySet<string> = new Set(['plink', 'ssh', 'freerdp', 'rdesktop']);

/**
 * The attempt an alert belongs to, for the notice board's stories: its connection (the alerts of
 * one plink run, one sshd connection), else the alert alone. Not the alert key: without a
 * connection that is program + host, and two Remmina processes that both run a replaced library
 * are two things to tell, not one.
 */
function attemptOf(hit: RuleHit, id: string): string {
  const c = hit.event.connection;
  return c ? `connection:${c.id}` : `alert:${id}`;
}

export class AlertGate {
  private readonly shown = new RecentMap<string, Shown>(MAX_THROTTLE_ENTRIES);
  private readonly delivered: RecentSet<string>;
  private held: Held[] = [];
  /** Deliveries a sink returned as promises (see safe), awaited by flush(). */
  private readonly inFlight = new Set<Promise<void>>();
  /** uniqueIds: the line of the last hit and the rules it hit (see sameLineAgain). */
  private lastLine: { raw: RuleHit['event']['raw']; time: number; rules: string[] } | undefined;
  /** localIds: alerts made so far. */
  private made = 0;
  /** Event time of the hit being accepted, for isStale (no closure per hit). */
  private now = 0;
  private readonly isStale = (e: Shown): boolean => e.until + SHOWN_AFTER_WINDOW_MS < this.now && e.sent;
  /** Live notifications (undefined without notify sinks: replay, `rules test`). */
  readonly board: NoticeBoard | undefined;
  readonly counts = { alerts: 0, notified: 0, suppressed: 0, duplicates: 0, joined: 0 };

  constructor(private readonly o: GateOptions) {
    this.delivered = o.delivered ?? newDeliveredSet();
    if (o.notify.length > 0) {
      this.board = new NoticeBoard({
        sinks: o.notify,
        ...(o.minSeverity ? { minSeverity: o.minSeverity } : {}),
        updateMs: o.foldMs ?? 0,
        ...(o.quiet ? { quiet: o.quiet } : {}),
        ...(o.silenced ? { silenced: o.silenced } : {}),
        ...(o.now ? { now: o.now } : {}),
        ...(o.log ? { log: o.log } : {}),
        onShown: () => this.counts.notified++,
      });
    }
  }

  private get live(): boolean {
    return (this.o.foldMs ?? 0) > 0;
  }

  /**
   * Turns a hit into an alert (or a count on the one shown), records it and offers it to the
   * notice board. Synchronous unless a record sink returns a promise.
   */
  accept(hit: RuleHit): Alert | undefined {
    let id: string | undefined;
    if (this.o.uniqueIds) {
      if (this.sameLineAgain(hit)) {
        this.counts.duplicates++;
        return undefined;
      }
    } else {
      id = alertId(hit);
      if (this.delivered.has(id)) {
        this.counts.duplicates++;
        return undefined;
      }
    }
    this.releaseHeld(hit.time);
    return this.acceptNow(hit, id);
  }

  /**
   * The id of a hit's alert: its hash (alertId), or with localIds a number of this replay: with
   * uniqueIds no two alerts made have the same hashed id (the same line's second hit of a rule
   * was dropped before), so numbering them tells them apart as the hashes do, in 6 characters.
   */
  private idOf(hit: RuleHit): string {
    return this.o.localIds ? `r${++this.made}` : alertId(hit);
  }

  /**
   * uniqueIds: has this rule hit this line already? The hits of one line come one after the
   * other (its events are handled together; the windows it opened end together), so the last
   * line's rules are all there is to remember. The same line as lineIdentity tells it.
   */
  private sameLineAgain(hit: RuleHit): boolean {
    const raw = hit.event.raw;
    const time = hit.event.time;
    const last = this.lastLine;
    if (
      last &&
      last.raw.source === raw.source &&
      (raw.offset !== undefined
        ? last.raw.offset === raw.offset && last.raw.file === raw.file && last.raw.text === raw.text
        : raw.cursor !== undefined
          ? last.raw.cursor === raw.cursor
          : last.raw.offset === undefined && last.raw.cursor === undefined && last.raw.line === raw.line && last.time === time)
    ) {
      if (last.rules.includes(hit.rule.id)) return true;
      last.rules.push(hit.rule.id);
      return false;
    }
    this.lastLine = { raw, time, rules: [hit.rule.id] };
    return false;
  }

  /** accept() once the held alerts that are due went out; `id` undefined: hashed when an alert is made (uniqueIds). */
  private acceptNow(hit: RuleHit, id: string | undefined): Alert | undefined {
    this.now = hit.time;
    this.shown.forgetOldestWhile(this.isStale);
    if (joinable(hit.rule)) return this.acceptJoinable(hit, id);
    this.counts.alerts++;
    const throttleKey = throttleKeyOf(hit);
    const prev = this.shown.get(throttleKey);
    // A repeat inside the throttle window only raises a count: its texts are never rendered.
    if (prev && hit.time < prev.until) return this.repeat(prev, hit, id);
    const alert = alertFromHit(hit, id ?? this.idOf(hit));
    this.show(throttleKey, hit, alert, true);
    return this.tell(alert, attemptOf(hit, alert.id));
  }

  /** Records an alert (new, or a new version of one) and offers it to the board; the alert back. */
  private tell(alert: Alert, attempt: string, time?: number): Alert {
    this.recordAll(alert, time);
    this.board?.offer(alert, attempt);
    return alert;
  }

  /** A rule that joins: merged into a held partner's alert, or held itself for the partner. */
  private acceptJoinable(hit: RuleHit, id: string | undefined): Alert | undefined {
    // Merged into the partner's alert, which was counted and returned when it came: nothing new.
    if (this.joinHeld(hit, id)) return undefined;
    return this.holdNew(hit, id);
  }

  /** A joinable hit no partner took: a repeat, or a new alert held for its partner (rendered only then). */
  private holdNew(hit: RuleHit, id: string | undefined): Alert | undefined {
    this.counts.alerts++;
    const throttleKey = throttleKeyOf(hit);
    const prev = this.shown.get(throttleKey);
    if (prev && hit.time < prev.until) return this.repeat(prev, hit, id);
    const alert = alertFromHit(hit, id ?? this.idOf(hit));
    const entry = this.show(throttleKey, hit, alert, this.live);
    this.hold(hit, entry);
    return alert;
  }

  /**
   * A repeat inside the throttle window: the shown alert's count goes up when it is another
   * attempt, and the record sinks and the board hear of it.
   */
  private repeat(prev: Shown, hit: RuleHit, id: string | undefined): undefined {
    this.counts.suppressed++;
    if (id !== undefined) this.markDelivered(id);
    // a partner rule whose throttle window the merged alert took over (joinHeld): absorbed, not
    // counted; "(×N)" counts the lead rule's attempts (plink's next "host key not cached" is not
    // another hang, and the server's line of a second attempt is not a third)
    if (prev.alert.rule !== hit.rule.id) return undefined;
    const attempt = countedAs(hit);
    if (prev.attempts.has(attempt)) return undefined;
    if (prev.attempts.size < MAX_ATTEMPT_KEYS) prev.attempts.add(attempt);
    prev.alert.count += 1;
    if (!prev.sent) return undefined; // replay: the held record goes out with its count
    this.tell(prev.alert, attemptOf(hit, prev.alert.id), hit.time);
    return undefined;
  }

  private show(throttleKey: string, hit: RuleHit, alert: Alert, sent: boolean): Shown {
    const entry: Shown = { alert, until: alert.time + hit.rule.throttle.withinMs, attempts: new Set([countedAs(hit)]), sent };
    // a new window for the key: it becomes the newest entry, so the 10,000 cap forgets idle keys
    // first (a key kept at its first place, like an alert without host, was forgotten again and again)
    this.shown.delete(throttleKey);
    this.shown.set(throttleKey, entry);
    this.markDelivered(alert.id);
    return entry;
  }

  /** Every record sink in turn (a sink's own copy when `time` updates it). */
  private recordAll(alert: Alert, time?: number): void {
    for (const sink of this.o.record) this.safe(sink, time === undefined ? alert : { ...alert, time });
  }

  /**
   * Keeps a joinable alert for its window, so that its partner from the other end merges into
   * it. Live, the alert was recorded and shown at once (the header); replay holds the record on
   * event time.
   */
  private hold(hit: RuleHit, entry: Shown): void {
    const windowMs = Math.max(hit.rule.join?.withinMs ?? 0, ...hit.rule.joinedBy.values());
    const h: Held = { hit, entry, deadline: entry.alert.time + windowMs, recorded: this.live, merged: false };
    if (this.live) {
      this.tell(entry.alert, attemptOf(hit, entry.alert.id));
      h.timer = setTimeout(() => this.release(h), windowMs);
      h.timer.unref?.();
    }
    this.held.push(h);
    if (this.held.length > MAX_HELD) this.release(this.held[0]!);
  }

  /** Merges the hit's alert into a held partner, when there is one; returns the merged alert (already delivered). */
  private joinHeld(hit: RuleHit, id: string | undefined): Alert | undefined {
    for (const h of this.held) {
      const w = joinWindow(h.hit.rule, hit.rule);
      // hit.time is the time its alert would have
      if (!w || Math.abs(h.entry.alert.time - hit.time) > w.withinMs) continue;
      const [primary, other] = w.primary === 'a' ? [h.hit, hit] : [hit, h.hit];
      if (!sameAttempt(primary.event, other.event)) continue;
      const alert = alertFromHit(hit, id ?? this.idOf(hit));
      const first = h.entry.alert;
      const merged = mergeAlerts(w.primary === 'a' ? first : alert, w.primary === 'a' ? alert : first, first.id, first.count);
      h.entry.alert = merged;
      h.merged = true;
      // Repeats of either side within its throttle window now count into the merged alert.
      for (const x of [h.hit, hit]) this.shown.set(throttleKeyOf(x), h.entry);
      h.entry.attempts.add(countedAs(hit));
      this.markDelivered(alert.id);
      this.counts.joined++;
      if (!this.live) {
        this.release(h);
        return merged;
      }
      // live: the merge is recorded and shown as an update of the first alert, under its id
      this.dropHeld(h);
      return this.tell(merged, attemptOf(h.hit, merged.id));
    }
    return undefined;
  }

  /** Held alerts whose window ended before `time` (event time) go out, oldest first. */
  private releaseHeld(time: number): void {
    if (this.held.length === 0) return;
    let any = false;
    for (const h of this.held) if (h.deadline < time && !h.timer) {
      any = true;
      break;
    }
    if (!any) return;
    for (const h of this.held.filter((x) => x.deadline < time && !x.timer)) this.release(h);
  }

  private dropHeld(h: Held): boolean {
    const i = this.held.indexOf(h);
    if (i < 0) return false;
    this.held.splice(i, 1);
    if (h.timer) clearTimeout(h.timer);
    return true;
  }

  /** A held alert's window ended: replay records it now (merged or alone); live it was recorded already. */
  private release(h: Held): void {
    if (!this.dropHeld(h) || h.recorded) return;
    h.entry.sent = true;
    this.tell(h.entry.alert, attemptOf(h.hit, h.entry.alert.id));
  }

  /**
   * Replay: releases what is held. Live, nothing held waits (it was recorded and shown at once;
   * it is kept only for a partner to merge into). Then waits for the notifications in flight.
   */
  async flush(): Promise<void> {
    if (!this.live) for (const h of [...this.held]) this.release(h);
    await this.board?.flush();
    for (const s of this.o.record) await s.drain?.();
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    for (const s of this.o.record) s.writeBuffered?.();
  }

  private markDelivered(id: string): void {
    // bounded: a restart re-reads at most the lines since the last checkpoint, far fewer
    if (!this.o.uniqueIds) this.delivered.add(id);
    this.o.onDelivered?.(id);
  }

  /**
   * A sink's delivery, its failure logged and never thrown. Never awaited: a sink that works
   * asynchronously sits behind a SinkQueue (queue.ts), which keeps its order; a promise a sink
   * returns anyway is kept only for flush().
   */
  private safe(sink: Sink, alert: Alert): void {
    const failed = (err: unknown): void => this.o.log?.('error', `sink ${sink.name} failed for alert ${alert.rule}: ${(err as Error).message}`);
    try {
      const p = sink.deliver(alert);
      if (!p) return;
      const done = p.catch(failed).finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    } catch (err) {
      failed(err);
    }
  }
}
