/**
 * NoticeBoard: what a person is shown, live. The gate records every alert and every update of
 * one; the board turns them into notifications, one per STORY:
 *
 *   - a story is one failed attempt as a person lives it: the alerts of one attempt (the same
 *     correlation key: a connection, or program + host) within ATTEMPT_MS of each other, the
 *     other end's line merged in by the join stage (correlate/joins.ts), and the repeats the
 *     gate counts into the alert it shows. Its notification keeps the id of the story's first alert; the desktop sink
 *     replaces the notification already on screen when the same id comes again;
 *   - shown at once: the first time a story holds an alert of the minimum severity or above, it
 *     is sent within GATHER_MS (no hold for a join, no folding; the gathering lets the rule hits
 *     of the same line or burst arrive first): a lower-severity alert that came first (plink's
 *     info "host key not cached" before its hang) never decides for it;
 *   - kept true: later changes (a partner's line, a count, another rule of the same attempt)
 *     update the notification; a higher severity at once, anything else at most once every
 *     `updateMs`, the newest state winning;
 *   - the story's lead is its most severe alert (the first of equals): its title, message and
 *     remedy; the others of warning and above add a sentence; "(×N)" is the gate's count of
 *     attempts, never of rules or lines;
 *   - a burst beyond what a person can read (more than BURST_MAX new notifications within
 *     BURST_MS) is folded into ONE summary notification, updated as it grows: nothing is dropped,
 *     and the history has every alert;
 *   - quiet hours hold back all but critical stories, and a silence (rule and host, from the
 *     notification's own action) holds back that rule's stories for its host; the history keeps
 *     them.
 *
 * Synchronous: offer() decides at once and hands the delivery to the sinks without waiting;
 * flush() waits for what is in flight.
 */
import type { Alert, AlertNotifier, Sink } from '../alert.js';
import { SEVERITIES, type Severity } from '../event.js';
import { RecentMap } from '../recent.js';

export interface NoticeBoardOptions {
  /** The sinks a person sees (the desktop). */
  sinks: Sink[];
  /** Lowest severity shown. Default "warning". */
  minSeverity?: Severity;
  /** Least time between two updates of one notification (a higher severity does not wait). */
  updateMs: number;
  /**
   * How long a new story gathers before its first notification (default GATHER_MS): the rules
   * that one line or one burst of lines of an attempt set off arrive together, so the first
   * notification already names the most severe of them instead of being replaced at once.
   */
  gatherMs?: number;
  /** Quiet hours: only critical stories are shown while this returns true. */
  quiet?: (now: Date) => boolean;
  /** A silenced rule for a host (the notification's "silence for a day"). */
  silenced?: (rule: string, host: string | undefined, now: number) => boolean;
  /** Wall clock, ms (tests may drive it). */
  now?: () => number;
  log?: (level: 'warn' | 'error' | 'info', message: string) => void;
}

/** Alerts of one attempt further apart than this are two stories. */
const ATTEMPT_MS = 10 * 60_000;
/** New notifications within BURST_MS past which the rest fold into one summary. */
export const BURST_MAX = 5;
export const BURST_MS = 10_000;
/** Stories remembered (by alert id and by attempt); the oldest are forgotten. */
const MAX_STORIES = 2_000;
/** Alerts one story keeps (the first ones; later ones still count through the gate). */
const MAX_STORY_ALERTS = 6;
const SUMMARY_LINES = 5;
export const GATHER_MS = 100;

interface Story {
  id: string;
  attempt: string;
  alerts: Alert[];
  lastOffer: number;
  /** Shown on its own (notified), inside a summary, or not yet. */
  shown: 'no' | 'own' | 'summary';
  summary?: Summary;
  /** Set on the story that IS a summary. */
  ownSummary?: Summary;
  sentSeverity?: Severity;
  lastSent: number;
  timer?: NodeJS.Timeout;
}

interface Summary {
  story: Story;
  members: Story[];
  total: number;
}

/** What a story's notification shows now. */
const viewOf = (s: Story): Alert => (s.ownSummary ? summaryView(s.ownSummary) : storyView(s.id, s.alerts));

const rank = (s: Severity): number => SEVERITIES.indexOf(s);

/** The most severe alert of a story, the first of equals. */
function leadOf(alerts: readonly Alert[]): Alert {
  let lead = alerts[0]!;
  for (const a of alerts) if (rank(a.severity) > rank(lead.severity)) lead = a;
  return lead;
}

/** What a story's notification shows: its lead, with the other serious alerts of the attempt in a sentence. */
export function storyView(id: string, alerts: readonly Alert[]): Alert {
  const lead = leadOf(alerts);
  const others = alerts.filter((a) => a !== lead && a.rule !== lead.rule);
  const serious = others.filter((a) => rank(a.severity) >= rank('warning'));
  const view: Alert = {
    ...lead,
    id,
    count: Math.max(...alerts.map((a) => a.count)),
    message: serious.length ? `${lead.message} Also for this attempt: ${serious.map((a) => a.title).join('; ')}.` : lead.message,
    evidence: alerts.flatMap((a) => a.evidence).slice(0, 6),
  };
  if (others.length) view.also = others.map((a) => a.rule);
  if (view.host === undefined) {
    const withHost = alerts.find((a) => a.host !== undefined);
    if (withHost) {
      view.host = withHost.host!;
      if (withHost.port !== undefined) view.port = withHost.port;
    }
  }
  return view;
}

function summaryView(s: Summary): Alert {
  const views = s.members.map((m) => storyView(m.id, m.alerts));
  const lead = leadOf(views);
  const lines = views.slice(-SUMMARY_LINES).map((v) => `${v.title}${v.host ? ` — ${v.host}` : ''}${v.count > 1 ? ` (×${v.count})` : ''}`);
  const more = s.total - lines.length;
  return {
    ...lead,
    id: s.story.id,
    rule: 'connwatch.summary',
    category: 'other',
    title: `${s.total} more connection problems`,
    message: `${lines.join('\n')}${more > 0 ? `\n… and ${more} more.` : ''}`,
    remedy: 'Run `connwatch alerts` to see each with what to do.',
    count: 1,
    evidence: [],
    also: views.map((v) => v.rule),
  };
}

export class NoticeBoard implements AlertNotifier {
  private readonly byAlert = new RecentMap<string, Story>(MAX_STORIES);
  private readonly byAttempt = new RecentMap<string, Story>(MAX_STORIES);
  private readonly recentShown: number[] = [];
  private summary: Summary | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  readonly counts = { shown: 0, updated: 0, summarised: 0 };
  /** Notifications first shown, own or summary, not updates (the gate's `notified`). */
  get shown(): number {
    return this.counts.shown;
  }

  constructor(private readonly o: NoticeBoardOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The story an alert id belongs to, as shown (for a notification's actions). */
  storyOf(alertId: string): Alert | undefined {
    const s = this.byAlert.get(alertId);
    return s ? storyView(s.id, s.alerts) : undefined;
  }

  /** A new alert, or a new version of one already offered (same id), of attempt `attempt`. */
  offer(alert: Alert, attempt: string): void {
    const now = this.now();
    let story = this.byAlert.get(alert.id);
    if (!story) {
      const same = this.byAttempt.get(attempt);
      story = same && now - same.lastOffer <= ATTEMPT_MS ? same : undefined;
    }
    if (!story) story = { id: alert.id, attempt, alerts: [], lastOffer: now, shown: 'no', lastSent: 0 };
    const i = story.alerts.findIndex((a) => a.id === alert.id);
    if (i >= 0) story.alerts[i] = alert;
    else if (story.alerts.length < MAX_STORY_ALERTS) story.alerts.push(alert);
    else return;
    story.lastOffer = now;
    this.byAlert.set(alert.id, story);
    this.byAttempt.set(attempt, story);
    if (story.shown === 'summary') return this.updateSummary(story.summary!, now);
    if (story.shown === 'own') return this.update(story, viewOf(story), now);
    if (story.timer || !this.showable(viewOf(story), now)) return;
    const gather = this.o.gatherMs ?? GATHER_MS;
    if (gather <= 0) return this.showFirst(story);
    story.timer = setTimeout(() => {
      story.timer = undefined;
      this.showFirst(story);
    }, gather);
    story.timer.unref?.();
  }

  /** A story's first notification: on its own, or in the summary of a burst. */
  private showFirst(story: Story): void {
    const now = this.now();
    const view = viewOf(story);
    if (story.shown !== 'no' || !this.showable(view, now)) return;
    if (this.bursting(now)) return this.addToSummary(story, now);
    story.shown = 'own';
    this.recentShown.push(now);
    this.counts.shown++;
    this.send(story, view, now);
  }

  /** Sends what waits for its update time, and waits for every delivery in flight. */
  async flush(): Promise<void> {
    const waiting = [...this.byAlert.values()];
    if (this.summary) waiting.push(this.summary.story);
    for (const s of new Set(waiting)) {
      if (!s.timer) continue;
      clearTimeout(s.timer);
      s.timer = undefined;
      if (s.shown === 'no') this.showFirst(s);
      else this.send(s, viewOf(s), this.now());
    }
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    for (const sink of this.o.sinks) await sink.drain?.();
  }

  private showable(view: Alert, now: number): boolean {
    if (rank(view.severity) < rank(this.o.minSeverity ?? 'warning')) return false;
    if (view.severity !== 'critical' && this.o.quiet?.(new Date(now))) return false;
    return !this.o.silenced?.(view.rule, view.host, now);
  }

  /** More than BURST_MAX notifications shown within BURST_MS: the next ones join a summary. */
  private bursting(now: number): boolean {
    while (this.recentShown.length && now - this.recentShown[0]! > BURST_MS) this.recentShown.shift();
    if (this.recentShown.length >= BURST_MAX) return true;
    if (this.summary && now - this.summary.story.lastOffer > BURST_MS) this.summary = undefined;
    return false;
  }

  private addToSummary(story: Story, now: number): void {
    let s = this.summary;
    const fresh = !s || now - s.story.lastOffer > BURST_MS;
    if (!s || fresh) {
      s = { story: { id: `summary-${story.id}`, attempt: '', alerts: [], lastOffer: now, shown: 'own', lastSent: 0 }, members: [], total: 0 };
      s.story.ownSummary = s;
      this.summary = s;
      this.counts.shown++;
    }
    s.members.push(story);
    if (s.members.length > SUMMARY_LINES) s.members.shift();
    s.total++;
    story.shown = 'summary';
    story.summary = s;
    this.counts.summarised++;
    if (!fresh) return this.updateSummary(s, now);
    this.send(s.story, summaryView(s), now);
  }

  private updateSummary(s: Summary, now: number): void {
    s.story.lastOffer = now;
    this.update(s.story, summaryView(s), now);
  }

  /** A story already on screen changed: at once when more severe, else at most every updateMs. */
  private update(story: Story, view: Alert, now: number): void {
    // silenced from its own notification: no more updates of it either
    if (!story.ownSummary && this.o.silenced?.(view.rule, view.host, now)) return;
    const rose = story.sentSeverity !== undefined && rank(view.severity) > rank(story.sentSeverity);
    const due = story.lastSent + this.o.updateMs;
    if (rose || now >= due) {
      if (story.timer) clearTimeout(story.timer);
      story.timer = undefined;
      this.send(story, view, now);
      return;
    }
    if (story.timer) return; // the timer sends the newest state
    story.timer = setTimeout(() => {
      story.timer = undefined;
      this.send(story, viewOf(story), this.now());
    }, due - now);
    story.timer.unref?.();
  }

  private send(story: Story, view: Alert, now: number): void {
    if (story.lastSent) this.counts.updated++;
    story.lastSent = now;
    story.sentSeverity = view.severity;
    for (const sink of this.o.sinks) {
      try {
        const p = sink.deliver({ ...view });
        if (!p) continue;
        const tracked = p.catch((err: unknown) => this.failed(sink, view, err)).finally(() => this.inFlight.delete(tracked));
        this.inFlight.add(tracked);
      } catch (err) {
        this.failed(sink, view, err);
      }
    }
  }

  private failed(sink: Sink, alert: Alert, err: unknown): void {
    this.o.log?.('error', `sink ${sink.name} failed for alert ${alert.rule}: ${(err as Error).message}`);
  }
}
