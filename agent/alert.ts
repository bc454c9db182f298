/**
 * Alert: what a rule raises and the sinks deliver. It carries everything a person needs (title,
 * message, remedy) with the placeholders already filled, and what a machine needs to dedupe it.
 */
import type { Category, Event, Program, Severity } from './event.js';

export interface Alert {
  /** Stable identity of this alert: same rule, key and triggering line → same id (dedupe across restarts). */
  id: string;
  rule: string;
  severity: Severity;
  category: Category;
  /** One line a person understands at a glance (rule title). */
  title: string;
  /** What happened, placeholders filled from the event. */
  message: string;
  /** What to do about it. */
  remedy: string;
  program: Program;
  host?: string;
  port?: number;
  user?: string;
  /** Event time of the triggering event (ms since epoch); for an absence, when the window ran out. */
  time: number;
  /** The correlation/throttle key, e.g. "plink:capture:4242". */
  key: string;
  /** How many occurrences this alert stands for (a burst folded into one). */
  count: number;
  /** The raw lines that led to it (at most a few, newest last), with their origin. */
  evidence: Array<{ text: string; source: string; line?: number }>;
  /**
   * A client connwatch saw waiting (a hang of a captured client): its pid and its start time
   * (clock ticks since boot, /proc/PID/stat field 22), so "stop the waiting client" can never
   * signal another process that got the same pid later.
   */
  process?: { pid: number; start: number; program: Program };
  /** Other alerts of the same attempt or story, folded into this one's notification (their rule ids). */
  also?: string[];
  /** The process that printed the line, when the line says (pid in a syslog tag or a capture). */
  pid?: number;
  /** Protocol versions of the connection, when its lines said them (SSH version strings). */
  clientVersion?: string;
  serverVersion?: string;
}

/** A sink delivers alerts somewhere: the desktop, the history file, stdout. */
export interface Sink {
  readonly name: string;
  /**
   * Called synchronously by the core, never awaited: a sink that finishes later (a network
   * forwarder) is put behind a SinkQueue (sinks/queue.ts), which keeps its alerts in order.
   */
  deliver(alert: Alert): Promise<void> | void;
  /** Writes out what the sink buffered (end of a replay, AlertGate.flush). */
  writeBuffered?(): void;
  /** Resolves once every alert handed to the sink was delivered (SinkQueue; AlertGate.flush). */
  drain?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A rule hit on its way to the gate, as the correlation stage (correlate/joins.ts) hands it on:
 * the keys the gate decides on, computed before it, and the alert itself rendered only when the
 * gate makes one (a repeat inside a throttle window is never rendered).
 */
export interface AlertOffer {
  /** The rule's id. */
  readonly rule: string;
  /** When the hit happened on event time (the alert's time). */
  readonly time: number;
  /** The throttle window the hit falls in: its rule and the values of the rule's throttle key. */
  readonly throttleKey: string;
  readonly throttleMs: number;
  /** The line it came from, and that line's event time (uniqueIds: a line's second hit of a rule). */
  readonly raw: Event['raw'];
  readonly eventTime: number;
  /** The hashed id, once known (the gate sets it when it dedupes by id). */
  id: string | undefined;
  /** The id hashed from the rule and the line (rules/alerts.ts alertId). */
  hashId(): string;
  /** The attempt a repeat stands for in "(×N)" (correlate/keys.ts attemptKey). */
  attempt(): string;
  /** The notice board's story for this alert (its connection, else the alert alone). */
  story(id: string): string;
  /** The alert, rendered with `id`. */
  render(id: string): Alert;
}

/** What the gate shows alerts through (sinks/notices.ts NoticeBoard): synchronous, flushed at the end. */
export interface AlertNotifier {
  offer(alert: Alert, story: string): void;
  flush(): Promise<void>;
  /** Notifications first shown so far (not updates). */
  readonly shown: number;
}

/** An alert the gate made, as the join stage holds it for a partner: the current alert (merged or not). */
export interface MadeAlert {
  alert: Alert;
}
