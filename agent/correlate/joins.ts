/**
 * The join stage: between the rule runner and the gate. Every rule hit passes through it as an
 * AlertOffer (its throttle key, its attempt, its story; the alert rendered by rules/alerts.ts only
 * when the gate makes one), and it does the client ↔ server join:
 *
 * A rule with `joins` and the rules it names see the same failed attempt from the two ends
 * (plink's "expected key exchange group packet" and sshd's "kex protocol error: type 30"; which
 * hits may join: join.ts). Their alerts are held for the join window; when the partner comes
 * within `joinWithin` on event time for a compatible host (hostsCompatible), ONE alert goes out:
 * the declaring rule's, with the other's line, title and remedy merged in, under the id of
 * whichever came first; the other is never recorded or notified on its own. Live (foldMs > 0) the
 * first alert is recorded at once (history must not lose it in a crash) and the merge is recorded
 * as an update of the same id; only the notification waits. In replay (foldMs 0) there is no wall
 * clock to wait on: records are held on event time and released when a later alert is past the
 * window, or at flush(), so replay prints what live shows.
 */
import type { Alert, AlertOffer, MadeAlert } from '../alert.js';
import type { Event } from '../event.js';
import type { AlertGate } from '../sinks/gate.js';
import type { RuleHit } from '../rules/runner.js';
import { alertFromHit, alertId, mergeAlerts } from '../rules/alerts.js';
import { attemptKey, keyOf } from './keys.js';
import { joinable, joinWindow, sameAttempt } from './join.js';

/** A rule hit as the gate sees it (alert.ts AlertOffer). */
class Offer implements AlertOffer {
  readonly throttleKey: string;
  id: string | undefined = undefined;

  constructor(readonly hit: RuleHit) {
    this.throttleKey = `${hit.rule.id}\u0000${keyOf(hit.event, hit.rule.throttle.key)}`;
  }

  get rule(): string {
    return this.hit.rule.id;
  }
  get time(): number {
    return this.hit.time;
  }
  get throttleMs(): number {
    return this.hit.rule.throttle.withinMs;
  }
  get raw(): Event['raw'] {
    return this.hit.event.raw;
  }
  get eventTime(): number {
    return this.hit.event.time;
  }

  hashId(): string {
    return alertId(this.hit);
  }

  attempt(): string {
    return attemptKey(this.hit.event, this.hit.key);
  }

  /**
   * The attempt an alert belongs to, for the notice board's stories: its connection (the alerts of
   * one plink run, one sshd connection), else the alert alone. Not the alert key: without a
   * connection that is program + host, and two Remmina processes that both run a replaced library
   * are two things to tell, not one.
   */
  story(id: string): string {
    const c = this.hit.event.connection;
    return c ? `connection:${c.id}` : `alert:${id}`;
  }

  render(id: string): Alert {
    return alertFromHit(this.hit, id);
  }
}

/** An alert of a joinable rule, waiting for its partner from the other end. */
interface Held {
  offer: Offer;
  made: MadeAlert;
  /** Latest event time a partner may have. */
  deadline: number;
  /** Already given to the record sinks (live). */
  recorded: boolean;
  timer?: NodeJS.Timeout;
}

const MAX_HELD = 1_000;

export class JoinStage {
  private held: Held[] = [];

  constructor(readonly gate: AlertGate) {}

  /** A hit through the join and the gate: the alert it made, or nothing (a repeat, a duplicate, merged). */
  accept(hit: RuleHit): Alert | undefined {
    const o = new Offer(hit);
    if (!this.gate.admit(o)) return undefined;
    this.releaseDue(hit.time);
    if (!joinable(hit.rule)) return this.gate.accept(o);
    this.gate.sweep(hit.time);
    // merged into the partner's alert, which was counted and returned when it came: nothing new
    if (this.join(o)) return undefined;
    const made = this.gate.open(o);
    if (made) this.hold(o, made);
    return made?.alert;
  }

  /** Keeps a joinable alert for its window, so that its partner from the other end merges into it. */
  private hold(o: Offer, made: MadeAlert): void {
    const rule = o.hit.rule;
    const windowMs = Math.max(rule.join?.withinMs ?? 0, ...rule.joinedBy.values());
    const live = this.gate.live;
    const h: Held = { offer: o, made, deadline: made.alert.time + windowMs, recorded: live };
    if (live) {
      h.timer = setTimeout(() => this.release(h), windowMs);
      h.timer.unref?.();
    }
    this.held.push(h);
    if (this.held.length > MAX_HELD) this.release(this.held[0]!);
  }

  /** Merges the offer's alert into a held partner's, when there is one; true when it did. */
  private join(o: Offer): boolean {
    const hit = o.hit;
    for (const h of this.held) {
      const w = joinWindow(h.offer.hit.rule, hit.rule);
      // hit.time is the time its alert would have
      if (!w || Math.abs(h.made.alert.time - hit.time) > w.withinMs) continue;
      const [primary, other] = w.primary === 'a' ? [h.offer.hit, hit] : [hit, h.offer.hit];
      if (!sameAttempt(primary.event, other.event)) continue;
      const alert = o.render(this.gate.idFor(o));
      const first = h.made.alert;
      const merged = mergeAlerts(w.primary === 'a' ? first : alert, w.primary === 'a' ? alert : first, first.id, first.count);
      this.gate.merge(h.made, merged, [h.offer, o], o, alert.id);
      if (!this.gate.live) {
        this.release(h);
        return true;
      }
      // live: the merge is recorded and shown as an update of the first alert, under its id
      this.drop(h);
      this.gate.tell(merged, h.offer.story(merged.id));
      return true;
    }
    return false;
  }

  /** Held alerts whose window ended before `time` (event time) go out, oldest first. */
  private releaseDue(time: number): void {
    if (this.held.length === 0) return;
    let any = false;
    for (const h of this.held) if (h.deadline < time && !h.timer) {
      any = true;
      break;
    }
    if (!any) return;
    for (const h of this.held.filter((x) => x.deadline < time && !x.timer)) this.release(h);
  }

  private drop(h: Held): boolean {
    const i = this.held.indexOf(h);
    if (i < 0) return false;
    this.held.splice(i, 1);
    if (h.timer) clearTimeout(h.timer);
    return true;
  }

  /** A held alert's window ended: replay records it now (merged or alone); live it was recorded already. */
  private release(h: Held): void {
    if (!this.drop(h) || h.recorded) return;
    this.gate.send(h.made, h.offer.story(h.made.alert.id));
  }

  /**
   * End of input or stop: replay releases what is held (live, nothing held waits: it was recorded
   * and shown at once, kept only for a partner to merge into); then the gate's sinks are waited for.
   */
  async flush(): Promise<void> {
    if (!this.gate.live) for (const h of [...this.held]) this.release(h);
    await this.gate.flush();
  }
}
