/**
 * Desktop sink: shows alerts as freedesktop notifications.
 *
 * One notification per story: the gate's notice board (notices.ts) delivers an alert, and later
 * the same alert id again when its story grew (the other end's line, a repeat, a higher
 * severity). The first delivery of an id shows a notification; a later one REPLACES it on screen
 * (freedesktop replaces_id), so a person sees one notification that stays true, not a second.
 *
 * Backends (chosen at every attempt, so installing libnotify-bin later helps at once):
 * - notify-send 0.8 or later (notify-send.ts): --print-id, --replace-id and actions; the
 *   server's capabilities decide whether the body is markup-escaped and whether actions are
 *   offered (evidence, silence for a day, and for a waiting client: stop it);
 * - node-notifier 10's NotifySend for an older notify-send (0.7): no replace, no actions; an
 *   update is shown as a new notification.
 *
 * What a notification carries: see desktop-format.ts (summary with count and host, body with
 * message and remedy, urgency, expiry, category hint, icon); all text through escape.ts. The
 * pieces: desktop-pending.ts (the queue and its file), desktop-screen.ts (what is on screen),
 * desktop-failure.ts (why a notification failed), desktop-legacy.ts (notify-send 0.7),
 * notice-actions.ts (the actions offered).
 *
 * Delivery never loses an alert: when notify-send is missing, no session bus is found or no
 * notification server answers, the alert stays in a bounded pending queue (a later version of
 * the same id takes its earlier one's place), the status turns "unavailable" (onStatus, status),
 * one warning with the fix is logged, and retryPending() or the next deliver() shows the pending
 * alerts in order once notifications work again. Deliveries run one at a time, in order; one
 * notify-send waits at most for D-Bus's reply timeout (25 s) when a server hangs. A notification
 * the server rejects for no known reason is tried 3 times, then given up with a warning.
 */
import type { ChildProcess } from 'node:child_process';
import type { Alert, Sink } from '../alert.js';
import type { ConnwatchError } from '../errors.js';
import { Serial } from '../serial.js';
import { formatNotification } from './desktop-format.js';
import { classify, type Attempt, type UnavailableReason } from './desktop-failure.js';
import { LegacyNotifySend } from './desktop-legacy.js';
import { PendingQueue, type Pending } from './desktop-pending.js';
import { Screen } from './desktop-screen.js';
import { ACTION_LABELS, actionsFor, type NoticeAction } from './notice-actions.js';
import { notifySendIsFull, serverCapabilities, showWithNotifySend, type BusEnv, type ShowResult } from './notify-send.js';
import { findSessionBus } from './session-bus.js';

export { APP_NAME } from './notify-send.js';
export { formatBody, formatNotification, formatSummary, type DesktopNotification, type Urgency } from './desktop-format.js';
export { classify, type UnavailableReason } from './desktop-failure.js';
export { actionsFor, type NoticeAction } from './notice-actions.js';

export type DesktopStatus =
  | { state: 'unknown' }
  | { state: 'available' }
  | { state: 'unavailable'; reason: UnavailableReason; error: ConnwatchError };

/** The part of the agent's logger (log.ts) the sink uses. */
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
  /** Offer actions where the server shows them; called with the alert's id when one is chosen. */
  onAction?: (alertId: string, action: NoticeAction) => void;
  /**
   * Where alerts still waiting to be shown are kept (0600), so that a stop, a crash or `kill -9`
   * while notifications are unavailable loses none: restorePending() shows them after a restart.
   * Written only while something waits (and removed when nothing does).
   */
  pendingFile?: string;
}

/** An alert that makes notify-send fail for no known reason is given up after this many tries. */
const MAX_FAILURES = 3;

const stderrLogger: SinkLogger = {
  warn: (m) => process.stderr.write(`connwatch: warning: ${m}\n`),
  info: (m) => process.stderr.write(`connwatch: ${m}\n`),
};

export class DesktopSink implements Sink {
  readonly name = 'desktop';
  /** For a notify-send older than 0.8. */
  private readonly legacy = new LegacyNotifySend();
  private readonly logger: SinkLogger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onStatus: ((status: DesktopStatus) => void) | undefined;
  private readonly onAction: DesktopSinkOptions['onAction'];
  private readonly queue: PendingQueue;
  private readonly screen = new Screen();
  /** Capabilities per bus address, asked once (again after a failure: the server may have changed). */
  private readonly caps = new Map<string, Set<string> | undefined>();
  private readonly serial = new Serial();
  private current: DesktopStatus = { state: 'unknown' };
  private warnedReason: UnavailableReason | undefined;
  private deliveredTotal = 0;
  private replacedTotal = 0;
  private readonly pendingFile: string | undefined;

  constructor(options: DesktopSinkOptions = {}) {
    this.pendingFile = options.pendingFile;
    this.logger = options.logger ?? stderrLogger;
    this.queue = new PendingQueue(Math.max(1, options.maxPending ?? 100), options.pendingFile, (m) => this.logger.warn(m));
    this.env = options.env ?? process.env;
    this.onStatus = options.onStatus;
    this.onAction = options.onAction;
  }

  get status(): DesktopStatus {
    return this.current;
  }

  /** Alerts waiting to be shown, oldest first. */
  pending(): Alert[] {
    return this.queue.alerts();
  }

  /** Notifications shown (new ones and replacements). */
  get delivered(): number {
    return this.deliveredTotal;
  }

  /** Of those, how many replaced one already on screen. */
  get replaced(): number {
    return this.replacedTotal;
  }

  async deliver(alert: Alert): Promise<void> {
    await this.send(alert);
  }

  /** Shows the alert (after any pending ones); 'pending' when notifications are unavailable. */
  send(alert: Alert): Promise<'shown' | 'pending'> {
    return this.serial.run(async () => {
      this.queue.add({ alert, notification: formatNotification(alert), failures: 0 });
      await this.flush();
      return this.queue.has(alert) ? 'pending' : 'shown';
    });
  }

  /** Tries to show the pending alerts, oldest first; stops at the first that cannot be shown. */
  retryPending(): Promise<{ delivered: number; pending: number }> {
    return this.serial.run(async () => {
      const delivered = await this.flush();
      return { delivered, pending: this.queue.length };
    });
  }

  /**
   * Alerts a previous run could not show (pendingFile), in their order. The caller marks their ids
   * delivered before any line is read (a line read again after `kill -9` gives the same id), then
   * hands them to requeue(). A file that is not ours is reported, and its alerts stay in the history.
   */
  readPending(): Alert[] {
    return this.queue.load();
  }

  /** Queues alerts of a previous run again (readPending) and tries to show them at once. */
  requeue(alerts: Alert[]): Promise<number> {
    return this.serial.run(async () => {
      for (const alert of alerts) this.queue.add({ alert, notification: formatNotification(alert), failures: 0 });
      if (alerts.length) this.logger.info(`Showing ${alerts.length} alert(s) a previous run could not show.`);
      await this.flush();
      return alerts.length;
    });
  }

  async close(): Promise<void> {
    // first what waits now, so that a stop cut short by its grace period loses nothing
    this.queue.save();
    await this.serial.run(async () => undefined);
    this.queue.save();
    this.screen.close();
    if (this.queue.length > 0) {
      this.logger.warn(
        `${this.queue.length} alert(s) were not shown on the desktop yet; ${this.pendingFile ? 'they are shown after the next start' : '`connwatch alerts` lists them'}.`,
      );
    }
  }

  private async flush(): Promise<number> {
    let delivered = 0;
    for (let head = this.queue.head; head; head = this.queue.head) {
      const attempt = await this.attempt(head);
      if (attempt.ok) {
        this.queue.shift();
        delivered++;
        this.deliveredTotal++;
        this.screen.remember(head.alert.id, attempt);
        continue;
      }
      this.becomeUnavailable(attempt.reason, attempt.error);
      if (attempt.reason !== 'failed') {
        this.queue.save();
        return delivered;
      }
      head.failures++;
      if (head.failures < MAX_FAILURES) return delivered;
      this.queue.shift();
      this.logger.warn(`Gave up showing alert ${head.alert.id} ("${head.notification.summary}") after ${MAX_FAILURES} failures.`);
    }
    // A queue emptied only by giving up proves nothing about the server: the status stays.
    if (delivered > 0) this.becomeAvailable(delivered);
    this.queue.save();
    return delivered;
  }

  private becomeUnavailable(reason: UnavailableReason, error: ConnwatchError): void {
    const was = this.current;
    this.current = { state: 'unavailable', reason, error };
    if (this.warnedReason !== reason) {
      this.warnedReason = reason;
      this.logger.warn(`${error.describe()}\n  Alerts are kept (up to ${this.queue.max}) and shown when notifications work again.`);
    }
    if (was.state !== 'unavailable' || was.reason !== reason) this.onStatus?.(this.current);
  }

  private becomeAvailable(deliveredNow: number): void {
    const was = this.current;
    if (was.state === 'available') return;
    this.current = { state: 'available' };
    if (was.state === 'unavailable') {
      const dropped = this.queue.dropped ? `; ${this.queue.dropped} older alert(s) did not fit the queue` : '';
      this.logger.info(`Desktop notifications work again; showed ${deliveredNow} pending alert(s)${dropped}.`);
    }
    this.warnedReason = undefined;
    this.queue.dropped = 0;
    this.onStatus?.(this.current);
  }

  private async attempt(p: Pending): Promise<Attempt<ChildProcess>> {
    const bus = findSessionBus(this.env);
    if (!bus.found) return { ok: false, reason: 'no-bus', error: bus.error };
    const path = this.env.PATH;
    if (!(await notifySendIsFull(path))) return this.legacy.show(p.notification, bus.address, path);
    const env: BusEnv = { PATH: path, DBUS_SESSION_BUS_ADDRESS: bus.address };
    if (!this.caps.has(bus.address)) this.caps.set(bus.address, await serverCapabilities(env));
    const caps = this.caps.get(bus.address);
    const before = this.screen.idOf(p.alert.id);
    const actions =
      this.onAction && caps?.has('actions') && this.screen.mayWait
        ? actionsFor(p.alert).map((a): [string, string] => [a, ACTION_LABELS[a]])
        : [];
    const id = p.alert.id;
    const result: ShowResult = await showWithNotifySend(
      {
        notification: p.notification,
        ...(before !== undefined ? { replaceId: before } : {}),
        actions,
        // unknown capabilities: escape, as a server that reads markup would need
        markup: caps === undefined || caps.has('body-markup'),
      },
      env,
      (key) => {
        if (key === 'evidence' || key === 'silence' || key === 'stop') this.onAction?.(id, key);
      },
    );
    if (result.ok) {
      if (before !== undefined) this.replacedTotal++;
      return result.waiter ? { ok: true, id: result.id, waiter: result.waiter } : { ok: true, id: result.id };
    }
    this.caps.delete(bus.address);
    return classify(result.error, bus.address, path);
  }
}

