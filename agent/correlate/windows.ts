/**
 * Absence windows (a rule's `expect`, SEC's PairWithWindow), on event time through a Clock: a
 * match opens a window for its key; any later event with the same key (meeting expect.conditions,
 * if given) closes it; if the clock passes the deadline first, the rule hits with the opening
 * event. A second match while a window is open for the same key keeps the first window.
 *
 * What closes a window besides a later event: the client's `input.waiting` closes a prompt's window
 * only when the client reads its socket (it went on past the prompt); blocked on its terminal or
 * stdin it confirms the wait instead (the hit then says so), and reading its socket confirms a
 * window opened by the connection itself (a silent server: nothing came back since). A server event joined to a client connection by the
 * sessions (`connection.peer`: sshd's `Accepted …` for the attempt) closes that connection's
 * windows.
 */
import type { Event } from '../event.js';
import type { Clock, Timer } from './clock.js';
import type { CompiledRule } from '../rules/compile.js';
import { formatDuration } from '../rules/duration.js';
import { keyOf } from './keys.js';

interface Window {
  rule: CompiledRule;
  opener: Event;
  key: string;
  deadline: number;
  timer: Timer;
  /** What the client was seen blocked reading after the opener (input.waiting: tty, stdin), if anything. */
  waitingOn?: string;
}

/** The open windows of one expect rule, by key; the rule is kept here so no window must be looked at to know it. */
class RuleWindows extends Map<string, Window> {
  constructor(public rule: CompiledRule) {
    super();
  }
}

/** A window's hit: the rule, the opening event, when, the template values, and whether the end of input decided it. */
export type WindowHit = (rule: CompiledRule, opener: Event, time: number, extra: Record<string, unknown>, atEnd: boolean) => void;

export interface OpenWindow {
  rule: string;
  key: string;
  since: number;
  deadline: number;
}

export class AbsenceWindows {
  /** rule id → key → window */
  private readonly windows = new Map<string, RuleWindows>();

  constructor(
    private readonly clock: Clock,
    private readonly onHit: WindowHit,
  ) {}

  /** Whether any rule ever opened a window (then every event must be offered to close()). */
  get active(): boolean {
    return this.windows.size > 0;
  }

  /** Open windows, for status and tests. */
  count(): number {
    let n = 0;
    for (const ws of this.windows.values()) n += ws.size;
    return n;
  }

  /** A rule reload: windows of rules that keep an expect clause carry over to the new rule, the others go. */
  replaceRules(byId: ReadonlyMap<string, CompiledRule>): void {
    for (const [id, ws] of this.windows) {
      const next = byId.get(id);
      if (!next?.expect) {
        for (const w of ws.values()) this.clock.cancel(w.timer);
        this.windows.delete(id);
      } else {
        ws.rule = next;
        for (const w of ws.values()) w.rule = next;
      }
    }
  }

  open(rule: CompiledRule, e: Event): void {
    const key = keyOf(e, rule.expect!.key);
    let ws = this.windows.get(rule.id);
    if (!ws) this.windows.set(rule.id, (ws = new RuleWindows(rule)));
    if (ws.has(key)) return;
    const deadline = e.time + rule.expect!.withinMs;
    const w: Window = {
      rule,
      opener: e,
      key,
      deadline,
      timer: this.clock.schedule(
        deadline,
        () => {
          ws.delete(key);
          this.onHit(w.rule, w.opener, deadline, this.extra(w, deadline), false);
        },
        e.time,
      ),
    };
    ws.set(key, w);
  }

  /** The windows `e` closes (or confirms). */
  close(e: Event): void {
    this.closeByKey(e);
    this.closeWithConditions(e);
  }

  /**
   * End of input (replay): windows of rules with atEndOfInput "fire" hit now; the others are
   * returned as still open, for the summary.
   */
  endOfInput(): OpenWindow[] {
    const open: OpenWindow[] = [];
    for (const [id, ws] of this.windows) {
      for (const w of [...ws.values()]) {
        if (w.rule.expect!.atEndOfInput === 'fire') {
          this.clock.cancel(w.timer);
          ws.delete(w.key);
          this.onHit(w.rule, w.opener, Math.max(this.clock.now(), w.opener.time), this.extra(w, this.clock.now(), true), true);
        } else open.push({ rule: id, key: w.key, since: w.opener.time, deadline: w.deadline });
      }
    }
    return open;
  }

  private extra(w: Window, now: number, atEnd = false): Record<string, unknown> {
    const secs = Math.max(0, Math.round((now - w.opener.time) / 1000));
    const on = w.waitingOn === 'tty' ? 'its terminal' : w.waitingOn === 'stdin' ? 'its standard input' : w.waitingOn === 'socket' ? 'its connection' : undefined;
    return {
      within: formatDuration(w.rule.expect!.withinMs),
      since: w.opener.time,
      waited: atEnd
        ? secs > 0
          ? `still waiting ${secs}s later, when its log ended`
          : 'still waiting when its log ended'
        : on
          ? `${secs}s without any further output, blocked reading ${on}`
          : `${secs}s without any further output`,
    };
  }

  /**
   * Windows closed by any later event with the same key. A client seen blocked on its terminal or
   * stdin (input.waiting) keeps them open: it confirms the wait. A server event joined to a client
   * connection (connection.peer) closes the windows keyed by that connection.
   */
  private closeByKey(e: Event): void {
    const waiting = e.kind === 'input.waiting' && e.detail.on !== 'socket' ? String(e.detail.on) : undefined;
    const peer = e.connection?.peer;
    for (const ws of this.windows.values()) {
      if (ws.size === 0) continue;
      const paths = ws.rule.expect!.key;
      if (peer !== undefined && paths.length === 1 && paths[0] === 'connection.id') {
        const pw = ws.get(peer);
        if (pw) {
          this.clock.cancel(pw.timer);
          ws.delete(pw.key);
        }
      }
      if (ws.rule.expect!.match && waiting === undefined) continue;
      const w = ws.get(keyOf(e, paths));
      if (!w || w.opener === e) continue;
      // reading its socket passes a question (answered), but confirms a wait for the server
      // (a window opened by the connection itself: nothing came back since)
      const onSocket = e.kind === 'input.waiting' && e.detail.on === 'socket' && !w.opener.kind.startsWith('prompt.');
      if (waiting !== undefined || onSocket) {
        w.waitingOn = waiting ?? 'socket';
        continue;
      }
      this.clock.cancel(w.timer);
      ws.delete(w.key);
    }
  }

  /** Windows closed only by an event meeting expect.conditions. */
  private closeWithConditions(e: Event): void {
    if (e.kind === 'input.waiting' && e.detail.on !== 'socket') return; // confirms a wait, closes nothing
    for (const ws of this.windows.values()) {
      if (ws.size === 0) continue;
      const match = ws.rule.expect!.match;
      if (!match) continue;
      const w = ws.get(keyOf(e, ws.rule.expect!.key));
      if (!w || w.opener === e || !match(e)) continue;
      this.clock.cancel(w.timer);
      ws.delete(w.key);
    }
  }
}
