/**
 * AlertGate: between the correlation stage and the sinks. It gets each rule hit as an AlertOffer
 * (alert.ts: keys computed and the alert rendered by the stage before it, correlate/joins.ts) and
 * decides what reaches a person:
 *
 *   - dedupe: an alert's id is derived from the rule and the line that triggered it, so a line
 *     read again after a restart produces the same id; ids already delivered are remembered
 *     (persisted by the caller through `delivered`) and never notified twice;
 *   - throttle: at most one notification per rule and throttle key (default: host) per window;
 *     repeats inside the window only raise the count of the alert already shown;
 *   - fold and severity: the notifier it is given (sinks/notices.ts NoticeBoard) shows the first
 *     alert of an attempt at once and folds what follows into it; quiet hours and silences are
 *     its business too.
 *
 * The client ↔ server join is not decided here: the join stage holds a joinable alert (open())
 * and merges its partner into it (merge()); the gate only keeps the throttle windows and counts
 * true for the alert it made. In replay (foldMs 0) a held alert's record waits until the stage
 * releases it (send()), so replay prints what live shows.
 *
 * Sinks are called in order for each alert: `record` sinks (history, printers) get every alert
 * and every update of it (a count, a merged partner), under the same id, synchronously and never
 * awaited (a sink that finishes later sits behind a SinkQueue, queue.ts).
 *
 * Counts are attempts: a repeat inside the throttle window raises "(×N)" only when it comes from
 * another attempt (AlertOffer.attempt) than the ones already counted; a second rule hit or a
 * second line of the same attempt does not. A threshold alert stands for one occurrence.
 */
import type { Alert, AlertNotifier, AlertOffer, MadeAlert, Sink } from '../alert.js';
import { RecentMap, RecentSet } from '../recent.js';

export interface GateOptions {
  /** Sinks that see every alert and every update of its count (history, stdout). */
  record: Sink[];
  /** What shows alerts to a person (the NoticeBoard over the desktop); none in replay and tests. */
  board?: AlertNotifier;
  /** Live (> 0) or replay (0): live, a held alert is recorded at once; replay holds it on event time. */
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
   * numbered instead of hashed (see idFor). Needs uniqueIds.
   */
  localIds?: boolean;
  /** Called when an id was delivered, so the caller can persist it. */
  onDelivered?: (id: string) => void;
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

interface Shown extends MadeAlert {
  until: number;
  /** The attempts counted into alert.count; bounded, see MAX_ATTEMPT_KEYS. */
  attempts: Set<string>;
  /** Replay: the record waits until its join window passed (the join stage holds it). */
  sent: boolean;
}

/** Attempt keys one throttle window remembers; past this every repeat counts. */
const MAX_ATTEMPT_KEYS = 256;
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

export class AlertGate {
  private readonly shown = new RecentMap<string, Shown>(MAX_THROTTLE_ENTRIES);
  private readonly delivered: RecentSet<string>;
  /** Deliveries a sink returned as promises (see safe), awaited by flush(). */
  private readonly inFlight = new Set<Promise<void>>();
  /** uniqueIds: the line of the last hit and the rules it hit (see sameLineAgain). */
  private lastLine: { raw: AlertOffer['raw']; time: number; rules: string[] } | undefined;
  /** localIds: alerts made so far. */
  private made = 0;
  /** Event time of the hit being accepted, for isStale (no closure per hit). */
  private now = 0;
  private readonly isStale = (e: Shown): boolean => e.until + SHOWN_AFTER_WINDOW_MS < this.now && e.sent;
  readonly counts: { alerts: number; readonly notified: number; suppressed: number; duplicates: number; joined: number };

  constructor(private readonly o: GateOptions) {
    this.delivered = o.delivered ?? newDeliveredSet();
    const board = o.board;
    this.counts = {
      alerts: 0,
      get notified() {
        return board?.shown ?? 0;
      },
      suppressed: 0,
      duplicates: 0,
      joined: 0,
    };
  }

  get live(): boolean {
    return (this.o.foldMs ?? 0) > 0;
  }

  /** Dedupe: false for an alert delivered already (counted); the offer's id is set when hashed. */
  admit(o: AlertOffer): boolean {
    if (this.o.uniqueIds) {
      if (!this.sameLineAgain(o)) return true;
    } else {
      o.id = o.hashId();
      if (!this.delivered.has(o.id)) return true;
    }
    this.counts.duplicates++;
    return false;
  }

  /** The event time of the offer being handled: shown alerts long past their window are forgotten. */
  sweep(time: number): void {
    this.now = time;
    this.shown.forgetOldestWhile(this.isStale);
  }

  /** An offer no join concerns: a new alert (recorded, offered to the board) or a count on the one shown. */
  accept(o: AlertOffer): Alert | undefined {
    this.sweep(o.time);
    this.counts.alerts++;
    const prev = this.shown.get(o.throttleKey);
    // A repeat inside the throttle window only raises a count: its texts are never rendered.
    if (prev && o.time < prev.until) return this.repeat(prev, o);
    const alert = o.render(this.idFor(o));
    this.show(o, alert, true);
    return this.tell(alert, o.story(alert.id));
  }

  /**
   * A joinable offer no partner took: a repeat (undefined), or a new alert the join stage holds.
   * Live it is recorded and shown at once; replay records it when the stage sends it.
   */
  open(o: AlertOffer): MadeAlert | undefined {
    this.counts.alerts++;
    const prev = this.shown.get(o.throttleKey);
    if (prev && o.time < prev.until) return this.repeat(prev, o);
    const entry = this.show(o, o.render(this.idFor(o)), this.live);
    if (this.live) this.tell(entry.alert, o.story(entry.alert.id));
    return entry;
  }

  /**
   * The join stage merged `partner` (whose own alert had `partnerId`) into a held alert: the
   * merged alert replaces it, and repeats of either side's throttle window count into it.
   */
  merge(made: MadeAlert, merged: Alert, sides: readonly AlertOffer[], partner: AlertOffer, partnerId: string): void {
    const entry = made as Shown;
    entry.alert = merged;
    for (const x of sides) this.shown.set(x.throttleKey, entry);
    entry.attempts.add(partner.attempt());
    this.markDelivered(partnerId);
    this.counts.joined++;
  }

  /** A held alert's window ended in replay: its record goes out now (with its count). */
  send(made: MadeAlert, story: string): void {
    (made as Shown).sent = true;
    this.tell(made.alert, story);
  }

  /**
   * The id of an offer's alert: its hash, or with localIds a number of this replay: with
   * uniqueIds no two alerts made have the same hashed id (the same line's second hit of a rule
   * was dropped before), so numbering them tells them apart as the hashes do, in 6 characters.
   */
  idFor(o: AlertOffer): string {
    return o.id ?? (this.o.localIds ? `r${++this.made}` : o.hashId());
  }

  /**
   * uniqueIds: has this rule hit this line already? The hits of one line come one after the
   * other (its events are handled together; the windows it opened end together), so the last
   * line's rules are all there is to remember. The same line as lineIdentity tells it.
   */
  private sameLineAgain(o: AlertOffer): boolean {
    const raw = o.raw;
    const time = o.eventTime;
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
      if (last.rules.includes(o.rule)) return true;
      last.rules.push(o.rule);
      return false;
    }
    this.lastLine = { raw, time, rules: [o.rule] };
    return false;
  }

  /** Records an alert (new, or a new version of one) and offers it to the board; the alert back. */
  tell(alert: Alert, story: string, time?: number): Alert {
    for (const sink of this.o.record) this.safe(sink, time === undefined ? alert : { ...alert, time });
    this.o.board?.offer(alert, story);
    return alert;
  }

  /**
   * A repeat inside the throttle window: the shown alert's count goes up when it is another
   * attempt, and the record sinks and the board hear of it.
   */
  private repeat(prev: Shown, o: AlertOffer): undefined {
    this.counts.suppressed++;
    if (o.id !== undefined) this.markDelivered(o.id);
    // a partner rule whose throttle window the merged alert took over (merge): absorbed, not
    // counted; "(×N)" counts the lead rule's attempts (plink's next "host key not cached" is not
    // another hang, and the server's line of a second attempt is not a third)
    if (prev.alert.rule !== o.rule) return undefined;
    const attempt = o.attempt();
    if (prev.attempts.has(attempt)) return undefined;
    if (prev.attempts.size < MAX_ATTEMPT_KEYS) prev.attempts.add(attempt);
    prev.alert.count += 1;
    if (!prev.sent) return undefined; // replay: the held record goes out with its count
    this.tell(prev.alert, o.story(prev.alert.id), o.time);
    return undefined;
  }

  private show(o: AlertOffer, alert: Alert, sent: boolean): Shown {
    const entry: Shown = { alert, until: alert.time + o.throttleMs, attempts: new Set([o.attempt()]), sent };
    // a new window for the key: it becomes the newest entry, so the 10,000 cap forgets idle keys
    // first (a key kept at its first place, like an alert without host, was forgotten again and again)
    this.shown.delete(o.throttleKey);
    this.shown.set(o.throttleKey, entry);
    this.markDelivered(alert.id);
    return entry;
  }

  /** Waits for the notifications and the sinks' deliveries in flight, then writes what sinks buffered. */
  async flush(): Promise<void> {
    await this.o.board?.flush();
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
