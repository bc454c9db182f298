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
 * message and remedy, urgency, expiry, category hint, icon); all text through escape.ts.
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
import { readFileSync, unlinkSync } from 'node:fs';
import { writePrivateFile } from '../sources/state-file.js';
import type NotifySend from 'node-notifier/notifiers/notifysend.js';

type NotifySendOptions = ConstructorParameters<typeof NotifySend>[0];
import type { Alert, Sink } from '../alert.js';
import { ConnwatchError } from '../errors.js';
import { RecentMap } from '../recent.js';
import { formatNotification, type DesktopNotification } from './desktop-format.js';
import { cap, notifySendBodyArg, notifySendSummaryArg, oneLine } from './escape.js';
import { APP_NAME, notifySendIsFull, serverCapabilities, showWithNotifySend, type BusEnv, type ShowResult } from './notify-send.js';
import { IMPORT_ENV_HINT, findSessionBus } from './session-bus.js';

export { APP_NAME } from './notify-send.js';
export { formatBody, formatNotification, formatSummary, type DesktopNotification, type Urgency } from './desktop-format.js';

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

/** The actions a notification can offer; the agent carries them out (notice-actions.ts). */
export type NoticeAction = 'evidence' | 'silence' | 'stop';

const ACTION_LABELS: Record<NoticeAction, string> = {
  evidence: 'Show the log lines',
  silence: 'Silence for a day',
  stop: 'Stop the waiting client',
};

/** The actions an alert's notification offers: a waiting client only when its pid was seen waiting. */
export function actionsFor(alert: Alert): NoticeAction[] {
  if (alert.rule === 'connwatch.summary') return [];
  const out: NoticeAction[] = ['evidence', 'silence'];
  if (alert.category === 'hang' && alert.process) out.push('stop');
  return out;
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

interface Pending {
  alert: Alert;
  notification: DesktopNotification;
  failures: number;
}

/** A notification on screen: its server id, and the notify-send waiting for its actions. */
interface OnScreen {
  id: number;
  waiter?: ChildProcess;
}

type Attempt = { ok: true; id: number; waiter?: ChildProcess } | { ok: false; reason: UnavailableReason; error: ConnwatchError };

/** An alert that makes notify-send fail for no known reason is given up after this many tries. */
const MAX_FAILURES = 3;
/** Notifications whose ids are kept for replacing (the oldest are forgotten; an update then shows anew). */
const MAX_ON_SCREEN = 500;
/** notify-send processes kept waiting for actions at once; past this, a notification has no buttons. */
const MAX_WAITERS = 20;

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
   * node-notifier, for a notify-send older than 0.8. suppressOsdCheck: without it node-notifier
   * looks notify-send up once and, if it is missing, refuses for the life of the process.
   * Loaded only when needed (about 1.5 MB resident).
   */
  private notifier: Promise<NotifySend> | undefined;
  private readonly logger: SinkLogger;
  private readonly maxPending: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onStatus: ((status: DesktopStatus) => void) | undefined;
  private readonly onAction: DesktopSinkOptions['onAction'];
  private readonly queue: Pending[] = [];
  private readonly onScreen = new RecentMap<string, OnScreen>(MAX_ON_SCREEN);
  private readonly waiters = new Set<ChildProcess>();
  /** Capabilities per bus address, asked once (again after a failure: the server may have changed). */
  private readonly caps = new Map<string, Set<string> | undefined>();
  private chain: Promise<unknown> = Promise.resolve();
  private current: DesktopStatus = { state: 'unknown' };
  private warnedReason: UnavailableReason | undefined;
  private droppedSinceWarning = 0;
  private deliveredTotal = 0;
  private replacedTotal = 0;
  private readonly pendingFile: string | undefined;
  /** What the pending file holds now (its alert ids), so an unchanged queue is not written again. */
  private persisted = '';

  constructor(options: DesktopSinkOptions = {}) {
    this.pendingFile = options.pendingFile;
    this.logger = options.logger ?? stderrLogger;
    this.maxPending = Math.max(1, options.maxPending ?? 100);
    this.env = options.env ?? process.env;
    this.onStatus = options.onStatus;
    this.onAction = options.onAction;
  }

  get status(): DesktopStatus {
    return this.current;
  }

  /** Alerts waiting to be shown, oldest first. */
  pending(): Alert[] {
    return this.queue.map((p) => p.alert);
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

  /**
   * Alerts a previous run could not show (pendingFile), in their order. The caller marks their ids
   * delivered before any line is read (a line read again after `kill -9` gives the same id), then
   * hands them to requeue(). A file that is not ours is reported, and its alerts stay in the history.
   */
  readPending(): Alert[] {
    if (!this.pendingFile) return [];
    try {
      const o = JSON.parse(readFileSync(this.pendingFile, 'utf8')) as { v?: unknown; alerts?: unknown };
      if (o.v !== 1 || !Array.isArray(o.alerts)) throw new Error('not a list of pending alerts');
      // whatever the queue becomes, the file is rewritten or removed
      this.persisted = '\u0000the file as read';
      return (o.alerts as Alert[]).filter((a) => typeof a?.id === 'string' && typeof a.title === 'string' && typeof a.severity === 'string');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn(`${this.pendingFile}: cannot read the alerts left to show (${(err as Error).message}); they are in the history (\`connwatch alerts\`).`);
      return [];
    }
  }

  /** Queues alerts of a previous run again (readPending) and tries to show them at once. */
  requeue(alerts: Alert[]): Promise<number> {
    return this.serial(async () => {
      for (const alert of alerts) this.enqueue({ alert, notification: formatNotification(alert), failures: 0 });
      if (alerts.length) this.logger.info(`Showing ${alerts.length} alert(s) a previous run could not show.`);
      await this.flush();
      return alerts.length;
    });
  }

  async close(): Promise<void> {
    // first what waits now, so that a stop cut short by its grace period loses nothing
    this.persist();
    await this.serial(async () => undefined);
    this.persist();
    for (const w of this.waiters) w.kill('SIGTERM');
    this.waiters.clear();
    if (this.queue.length > 0) {
      this.logger.warn(
        `${this.queue.length} alert(s) were not shown on the desktop yet; ${this.pendingFile ? 'they are shown after the next start' : '`connwatch alerts` lists them'}.`,
      );
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** A later version of an alert waiting in the queue takes its place: the person sees the newest. */
  private enqueue(p: Pending): void {
    const i = this.queue.findIndex((q) => q.alert.id === p.alert.id);
    if (i >= 0) {
      this.queue[i] = { ...p, failures: this.queue[i]!.failures };
      return;
    }
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
      const attempt = await this.attempt(head);
      if (attempt.ok) {
        this.queue.shift();
        delivered++;
        this.deliveredTotal++;
        this.remember(head.alert.id, attempt);
        continue;
      }
      this.becomeUnavailable(attempt.reason, attempt.error);
      if (attempt.reason !== 'failed') {
        this.persist();
        return delivered;
      }
      head.failures++;
      if (head.failures < MAX_FAILURES) return delivered;
      this.queue.shift();
      this.logger.warn(`Gave up showing alert ${head.alert.id} ("${head.notification.summary}") after ${MAX_FAILURES} failures.`);
    }
    // A queue emptied only by giving up proves nothing about the server: the status stays.
    if (delivered > 0) this.becomeAvailable(delivered);
    this.persist();
    return delivered;
  }

  /** Writes the queue to pendingFile when it changed (removes the file when the queue is empty). */
  private persist(): void {
    if (!this.pendingFile) return;
    const ids = this.queue.map((p) => `${p.alert.id}:${p.alert.count}`).join(',');
    if (ids === this.persisted) return;
    try {
      if (this.queue.length === 0) {
        unlinkSync(this.pendingFile);
      } else {
        writePrivateFile(this.pendingFile, JSON.stringify({ v: 1, alerts: this.queue.map((p) => p.alert) }));
      }
      this.persisted = ids;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && this.queue.length === 0) {
        this.persisted = ids;
        return;
      }
      this.logger.warn(`cannot keep the alerts left to show in ${this.pendingFile}: ${(err as Error).message}`);
    }
  }

  /** The notification now on screen for this alert id; the waiter of the one it replaced is ended. */
  private remember(alertId: string, shown: { id: number; waiter?: ChildProcess }): void {
    const before = this.onScreen.get(alertId);
    if (before?.waiter && before.waiter !== shown.waiter) before.waiter.kill('SIGTERM');
    this.onScreen.delete(alertId);
    this.onScreen.set(alertId, { id: shown.id, ...(shown.waiter ? { waiter: shown.waiter } : {}) });
    const w = shown.waiter;
    if (w) {
      this.waiters.add(w);
      w.once('exit', () => {
        this.waiters.delete(w);
        const now = this.onScreen.get(alertId);
        if (now?.waiter === w) delete now.waiter;
      });
    }
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

  private async attempt(p: Pending): Promise<Attempt> {
    const bus = findSessionBus(this.env);
    if (!bus.found) return { ok: false, reason: 'no-bus', error: bus.error };
    const path = this.env.PATH;
    if (!(await notifySendIsFull(path))) return this.attemptNodeNotifier(p.notification, bus.address, path);
    const env: BusEnv = { PATH: path, DBUS_SESSION_BUS_ADDRESS: bus.address };
    if (!this.caps.has(bus.address)) this.caps.set(bus.address, await serverCapabilities(env));
    const caps = this.caps.get(bus.address);
    const before = this.onScreen.get(p.alert.id);
    const actions =
      this.onAction && caps?.has('actions') && this.waiters.size < MAX_WAITERS
        ? actionsFor(p.alert).map((a): [string, string] => [a, ACTION_LABELS[a]])
        : [];
    const id = p.alert.id;
    const result: ShowResult = await showWithNotifySend(
      {
        notification: p.notification,
        ...(before ? { replaceId: before.id } : {}),
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
      if (before) this.replacedTotal++;
      return result.waiter ? { ok: true, id: result.id, waiter: result.waiter } : { ok: true, id: result.id };
    }
    this.caps.delete(bus.address);
    return classify(result.error, bus.address, path);
  }

  /** notify-send 0.7: node-notifier, no replace and no actions. */
  private attemptNodeNotifier(n: DesktopNotification, address: string, path: string | undefined): Promise<Attempt> {
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
    this.notifier ??= import('node-notifier/notifiers/notifysend.js').then(({ default: Notifier }) => new Notifier({ suppressOsdCheck: true } as NotifySendOptions));
    return this.notifier.then(
      (notifier) =>
        new Promise<Attempt>((resolve) => {
          try {
            withProcessEnv({ DBUS_SESSION_BUS_ADDRESS: address, PATH: path }, () => {
              notifier.notify(options, (err: unknown) => resolve(classify(err, address, path)));
            });
          } catch (err) {
            resolve(classify(asError(err), address, path));
          }
        }),
      (err: unknown) => classify(asError(err), address, path),
    );
  }
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** Maps notify-send's (or node-notifier's) error onto a reason and an error a person can act on. */
export function classify(err: unknown, address: string, path: string | undefined): Attempt {
  // node-notifier calls back with notify-send's stderr (a string, usually empty) on success.
  if (!(err instanceof Error)) return { ok: true, id: 0 };
  const exitCode = (err as Error & { code?: unknown }).code;
  const stderr = stderrOf(err);
  const unavailable = (reason: UnavailableReason, message: string, hint: string): Attempt => ({
    ok: false,
    reason,
    error: new ConnwatchError(reason === 'failed' ? 'NOTIFY_FAILED' : 'NOTIFY_UNAVAILABLE', message, { hint, cause: err }),
  });
  if (exitCode === 127 || exitCode === 'ENOENT' || /notify-send: (command )?not found/.test(stderr)) {
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
