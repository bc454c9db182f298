/**
 * Alert: what a rule raises and the sinks deliver. It carries everything a person needs (title,
 * message, remedy) with the placeholders already filled, and what a machine needs to dedupe it.
 */
import type { Category, Program, Severity } from './event.js';

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
