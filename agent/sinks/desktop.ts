/**
 * Desktop sink: shows alerts as freedesktop notifications through node-notifier 10's NotifySend
 * (notify-send from libnotify-bin 0.7/0.8, Linux and *BSD).
 *
 * What a notification carries (formatNotification):
 * - summary: "<title> (×<count>) — <host>" (the count only for a folded burst), one line, ≤ 120 chars;
 * - body: message, a blank line, remedy; ≤ 1000 chars, the remedy keeps up to 400 of them;
 *   all text goes through escape.ts (markup, control characters, leading dashes, backslashes);
 * - urgency: info → low, warning and error → normal, critical → critical; expiry 10 s (info),
 *   30 s (warning, error), never for critical (it stays until dismissed);
 * - category hint: "network" for info, "network.error" for every failure family that concerns
 *   a connection, "x-connwatch.stale" for stale libraries (the specification has no category
 *   for software updates; vendor categories start with "x-");
 * - app name "connwatch" and a stock icon from the Icon Naming Specification.
 * node-notifier's NotifySend passes exactly urgency, expire-time, icon, category, app-name and
 * one hint; we leave the hint unused. It cannot pass actions or replaces-id (no buttons, no
 * updating a shown notification).
 *
 * Delivery never loses an alert: when notify-send is missing, no session bus is found or no
 * notification server answers, the alert stays in a bounded pending queue, the status turns
 * "unavailable" (onStatus, status), one warning with the fix is logged, and retryPending() or
 * the next deliver() shows the pending alerts in order once notifications work again (the
 * caller decides when to retry, e.g. on a timer). Deliveries run one at a time, in order; one
 * notify-send waits at most for D-Bus's reply timeout (25 s) when a server hangs. A notification
 * the server rejects for no known reason is tried 3 times, then given up with a warning.
 */
import type NotifySend from 'node-notifier/notifiers/notifysend.js';

type NotifySendOptions = ConstructorParameters<typeof NotifySend>[0];
import type { Alert, Sink } from '../alert.js';
import type { Category, Severity } from '../event.js';
import { ConnwatchError } from '../errors.js';
import {
  BODY_MAX,
  REMEDY_MAX,
  SUMMARY_MAX,
  cap,
  codePoints,
  neutraliseLeadingDash,
  notifySendBodyArg,
  notifySendSummaryArg,
  oneLine,
  tidyLines,
} from './escape.js';
import { IMPORT_ENV_HINT, findSessionBus } from './session-bus.js';

export const APP_NAME = 'connwatch';

export type Urgency = 'low' | 'normal' | 'critical';

/** A notification as a person sees it (visible text, before wire escaping). */
export interface DesktopNotification {
  summary: string;
  body: string;
  urgency: Urgency;
  /** 0: stays until dismissed. */
  expireSeconds: number;
  category: string;
  icon: string;
}

const URGENCY: Record<Severity, Urgency> = { info: 'low', warning: 'normal', error: 'normal', critical: 'critical' };
const EXPIRE_SECONDS: Record<Severity, number> = { info: 10, warning: 30, error: 30, critical: 0 };

const ICON: Record<Category, string> = {
  hang: 'network-error',
  negotiation: 'network-error',
  network: 'network-error',
  server: 'network-error',
  hostkey: 'security-low',
  certificate: 'security-low',
  security: 'security-low',
  auth: 'dialog-password',
  stale: 'software-update-available',
  other: 'dialog-warning',
};

function categoryHint(alert: Alert): string {
  if (alert.category === 'stale') return 'x-connwatch.stale';
  return alert.severity === 'info' ? 'network' : 'network.error';
}

const HOST_MAX = 60;

/** The visible summary: title, burst count, host. The title gives way first when it is too long. */
export function formatSummary(alert: Pick<Alert, 'title' | 'count' | 'host'>): string {
  const host = alert.host ? cap(oneLine(alert.host), HOST_MAX) : '';
  const suffix = (alert.count > 1 ? ` (×${alert.count})` : '') + (host ? ` — ${host}` : '');
  const title = cap(oneLine(alert.title) || 'connwatch alert', Math.max(1, SUMMARY_MAX - codePoints(suffix)));
  return neutraliseLeadingDash(cap(title + suffix, SUMMARY_MAX));
}

/** The visible body: message, blank line, remedy; the remedy keeps its room however long the message. */
export function formatBody(alert: Pick<Alert, 'message' | 'remedy'>): string {
  const remedy = cap(tidyLines(alert.remedy), REMEDY_MAX);
  const room = BODY_MAX - (remedy ? codePoints(remedy) + 2 : 0);
  const message = cap(tidyLines(alert.message), room);
  const body = [message, remedy].filter((s) => s !== '').join('\n\n');
  return neutraliseLeadingDash(body) || '(no details)';
}

export function formatNotification(alert: Alert): DesktopNotification {
  return {
    summary: formatSummary(alert),
    body: formatBody(alert),
    urgency: URGENCY[alert.severity],
    expireSeconds: EXPIRE_SECONDS[alert.severity],
    category: categoryHint(alert),
    icon: alert.severity === 'info' ? 'dialog-information' : ICON[alert.category],
  };
}

/** Why notifications cannot be shown right now. */
export type UnavailableReason = 'notify-send-missing' | 'no-bus' | 'no-server' | 'failed';

export type DesktopStatus =
  | { state: 'unknown' }
  | { state: 'available' }
  | { state: 'unavailable'; reason: UnavailableReason; error: ConnwatchError };

/** The part of a winston logger the sink uses. */
export interface SinkLogger {
  warn(message: string): unknown;
  info(message: string): unknown;
}

export interface DesktopSinkOptions {
  logger?: SinkLogger;
  /** Alerts kept while notifications are unavailable; the oldest give way. Default 100. */
  maxPending?: number;
  /** Where PATH and the session bus are looked up, at every attempt. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Called whenever the status changes (unknown → available/unavailable and back). */
  onStatus?: (status: DesktopStatus) => void;
}

interface Pending {
  alert: Alert;
  notification: DesktopNotification;
  failures: number;
}

type Attempt = { ok: true } | { ok: false; reason: UnavailableReason; error: ConnwatchError };

/** An alert that makes notify-send fail for no known reason is given up after this many tries. */
const MAX_FAILURES = 3;

const stderrLogger: SinkLogger = {
  warn: (m) => process.stderr.write(`connwatch: warning: ${m}\n`),
  info: (m) => process.stderr.write(`connwatch: ${m}\n`),
};

/**
 * node-notifier spawns notify-send with process.env and offers no env option; spawn copies the
 * environment synchronously, so setting the variables around the synchronous notify() call and
 * restoring them right after gives that one child its environment without leaking to others.
 */
function withProcessEnv(overlay: Record<string, string | undefined>, fn: () => void): void {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(overlay)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    fn();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** exec's error message is "Command failed: <cmd>\n<stderr>"; the command holds alert text, so cut it off. */
function stderrOf(err: Error): string {
  const cmd = (err as Error & { cmd?: unknown }).cmd;
  const prefix = typeof cmd === 'string' ? `Command failed: ${cmd}\n` : '';
  const text = prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return cap(oneLine(text), 300);
}

export class DesktopSink implements Sink {
  readonly name = 'desktop';
  /**
   * suppressOsdCheck: without it node-notifier looks notify-send up once and, if it is missing,
   * refuses for the life of the process, so installing libnotify-bin later would not help.
   * (The option exists in notifysend.js but not in @types/node-notifier.)
   * Loaded with the first notification: an agent that shows none does not load node-notifier
   * (about 1.5 MB resident beside the rest of the agent).
   */
  private notifier: Promise<NotifySend> | undefined;
  private readonly logger: SinkLogger;
  private readonly maxPending: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onStatus: ((status: DesktopStatus) => void) | undefined;
  private readonly queue: Pending[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private current: DesktopStatus = { state: 'unknown' };
  private warnedReason: UnavailableReason | undefined;
  private droppedSinceWarning = 0;
  private deliveredTotal = 0;

  constructor(options: DesktopSinkOptions = {}) {
    this.logger = options.logger ?? stderrLogger;
    this.maxPending = Math.max(1, options.maxPending ?? 100);
    this.env = options.env ?? process.env;
    this.onStatus = options.onStatus;
  }

  get status(): DesktopStatus {
    return this.current;
  }

  /** Alerts waiting to be shown, oldest first. */
  pending(): Alert[] {
    return this.queue.map((p) => p.alert);
  }

  get delivered(): number {
    return this.deliveredTotal;
  }

  async deliver(alert: Alert): Promise<void> {
    await this.send(alert);
  }

  /** Shows the alert (after any pending ones); 'pending' when notifications are unavailable. */
  send(alert: Alert): Promise<'shown' | 'pending'> {
    return this.serial(async () => {
      this.enqueue({ alert, notification: formatNotification(alert), failures: 0 });
      await this.flush();
      return this.queue.some((p) => p.alert === alert) ? 'pending' : 'shown';
    });
  }

  /** Tries to show the pending alerts, oldest first; stops at the first that cannot be shown. */
  retryPending(): Promise<{ delivered: number; pending: number }> {
    return this.serial(async () => {
      const delivered = await this.flush();
      return { delivered, pending: this.queue.length };
    });
  }

  async close(): Promise<void> {
    await this.serial(async () => undefined);
    if (this.queue.length > 0) {
      this.logger.warn(`${this.queue.length} alert(s) were never shown on the desktop; \`connwatch alerts\` lists them.`);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    while (this.queue.length > this.maxPending) {
      this.queue.shift();
      this.droppedSinceWarning++;
    }
  }

  private async flush(): Promise<number> {
    let delivered = 0;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Pending;
      const attempt = await this.attempt(head.notification);
      if (attempt.ok) {
        this.queue.shift();
        delivered++;
        this.deliveredTotal++;
        continue;
      }
      this.becomeUnavailable(attempt.reason, attempt.error);
      if (attempt.reason !== 'failed') return delivered;
      head.failures++;
      if (head.failures < MAX_FAILURES) return delivered;
      this.queue.shift();
      this.logger.warn(`Gave up showing alert ${head.alert.id} ("${head.notification.summary}") after ${MAX_FAILURES} failures.`);
    }
    // A queue emptied only by giving up proves nothing about the server: the status stays.
    if (delivered > 0) this.becomeAvailable(delivered);
    return delivered;
  }

  private becomeUnavailable(reason: UnavailableReason, error: ConnwatchError): void {
    const was = this.current;
    this.current = { state: 'unavailable', reason, error };
    if (this.warnedReason !== reason) {
      this.warnedReason = reason;
      this.logger.warn(`${error.describe()}\n  Alerts are kept (up to ${this.maxPending}) and shown when notifications work again.`);
    }
    if (was.state !== 'unavailable' || was.reason !== reason) this.onStatus?.(this.current);
  }

  private becomeAvailable(deliveredNow: number): void {
    const was = this.current;
    if (was.state === 'available') return;
    this.current = { state: 'available' };
    if (was.state === 'unavailable') {
      const dropped = this.droppedSinceWarning ? `; ${this.droppedSinceWarning} older alert(s) did not fit the queue` : '';
      this.logger.info(`Desktop notifications work again; showed ${deliveredNow} pending alert(s)${dropped}.`);
    }
    this.warnedReason = undefined;
    this.droppedSinceWarning = 0;
    this.onStatus?.(this.current);
  }

  private attempt(n: DesktopNotification): Promise<Attempt> {
    const bus = findSessionBus(this.env);
    if (!bus.found) return Promise.resolve({ ok: false, reason: 'no-bus', error: bus.error });
    const options = {
      title: notifySendSummaryArg(n.summary),
      message: notifySendBodyArg(n.body),
      urgency: n.urgency,
      // node-notifier takes seconds and passes milliseconds to notify-send.
      timeout: n.expireSeconds,
      category: n.category,
      icon: n.icon,
      'app-name': APP_NAME,
    };
    const path = this.env.PATH;
    this.notifier ??= import('node-notifier/notifiers/notifysend.js').then(({ default: Notifier }) => new Notifier({ suppressOsdCheck: true } as NotifySendOptions));
    return this.notifier.then(
      (notifier) =>
        new Promise<Attempt>((resolve) => {
          try {
            withProcessEnv({ DBUS_SESSION_BUS_ADDRESS: bus.address, PATH: path }, () => {
              notifier.notify(options, (err: unknown) => resolve(classify(err, bus.address, path)));
            });
          } catch (err) {
            resolve(classify(asError(err), bus.address, path));
          }
        }),
      (err: unknown) => classify(asError(err), bus.address, path),
    );
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** Maps node-notifier's callback error onto a reason and an error a person can act on. */
export function classify(err: unknown, address: string, path: string | undefined): Attempt {
  // node-notifier calls back with notify-send's stderr (a string, usually empty) on success.
  if (!(err instanceof Error)) return { ok: true };
  const exitCode = (err as Error & { code?: unknown }).code;
  const stderr = stderrOf(err);
  const unavailable = (reason: UnavailableReason, message: string, hint: string): Attempt => ({
    ok: false,
    reason,
    error: new ConnwatchError(reason === 'failed' ? 'NOTIFY_FAILED' : 'NOTIFY_UNAVAILABLE', message, { hint, cause: err }),
  });
  if (exitCode === 127 || /notify-send: (command )?not found/.test(stderr)) {
    return unavailable(
      'notify-send-missing',
      `Desktop notifications are unavailable: notify-send is not installed (not found in PATH=${path ?? ''}).`,
      'install it: `sudo apt install libnotify-bin`',
    );
  }
  if (/Could not connect|autolaunch|Connection refused|No such file or directory/i.test(stderr)) {
    return unavailable(
      'no-bus',
      `Desktop notifications are unavailable: the D-Bus session bus at ${address} does not answer (notify-send: ${stderr}).`,
      IMPORT_ENV_HINT,
    );
  }
  if (/org\.freedesktop\.Notifications|ServiceUnknown|NoReply|Timeout|timed out/i.test(stderr)) {
    return unavailable(
      'no-server',
      `Desktop notifications are unavailable: no notification server answers on the session bus ${address} (notify-send: ${stderr}).`,
      'log in to a desktop session that shows notifications (GNOME, KDE, Xfce, …) or start a notification daemon such as dunst; ' +
        IMPORT_ENV_HINT,
    );
  }
  return unavailable('failed', `notify-send failed: ${stderr}`, 'run `connwatch doctor` to check desktop notifications');
}
