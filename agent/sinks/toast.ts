/**
 * Toast sink: alerts as Windows toasts through node-notifier's WindowsToaster (SnoreToast), or
 * as macOS notifications through its NotificationCenter (terminal-notifier). Which one is the
 * platform's decision (platform/*.ts `notifier`); the text is the desktop sink's (summary: title,
 * burst count, host; body: message and remedy; escape.ts cleans control characters and a leading
 * dash), passed as single argv elements through execFile, never a shell.
 *
 * Windows: `-t SUMMARY -m BODY -appID connwatch.agent -pipeName \\.\pipe\notifierPipe-UUID` plus
 * `-silent` below critical. The app id is the one the Start-menu shortcut registers (`connwatch
 * install`); without that shortcut Windows drops the toast or shows it as "SnoreToast", which
 * `connwatch doctor` (toast-shortcut) explains. SnoreToast exits -1 when it failed, and says
 * nothing at all when it crashed (as it does under Wine, with a null-pointer read); either way the alert
 * then stays pending, the status turns unavailable with the reason, one warning is logged and
 * retryPending() tries again (as the desktop sink does).
 */
import type { Alert, Sink } from '../alert.js';
import { ConnwatchError, messageOf } from '../errors.js';
import type { NotifierKind } from '../platform/types.js';
import { Serial } from '../serial.js';
import { APP_ID } from '../platform/windows.js';
import { formatBody, formatSummary, type SinkLogger } from './desktop.js';

export interface ToastSinkOptions {
  kind: Exclude<NotifierKind, 'notify-send'>;
  logger?: SinkLogger;
  /** Another SnoreToast / terminal-notifier (node-notifier's customPath). */
  customPath?: string;
  maxPending?: number;
}

export type ToastStatus = { state: 'unknown' } | { state: 'available' } | { state: 'unavailable'; error: ConnwatchError };

/** What node-notifier is asked to show: the options object handed to notify(). */
export function toastOptions(kind: ToastSinkOptions['kind'], alert: Alert): Record<string, string | boolean> {
  const title = formatSummary(alert);
  const message = formatBody(alert);
  if (kind === 'windows-toaster') {
    return { title, message, appID: APP_ID, ...(alert.severity === 'critical' ? {} : { silent: true }) };
  }
  return { title, message, group: `connwatch.${alert.rule}`, sound: alert.severity === 'critical' || alert.severity === 'error' };
}

type Notifier = { notify(o: Record<string, unknown>, cb: (err: Error | null, response?: unknown) => void): unknown };

const NO_ANSWER = 'it ended without saying what became of the toast (shown, dismissed, timed out): it crashed or could not reach the notification system';

export class ToastSink implements Sink {
  readonly name = 'toast';
  private notifier: Promise<Notifier> | undefined;
  private readonly queue: Alert[] = [];
  private readonly serial = new Serial();
  private current: ToastStatus = { state: 'unknown' };
  private warned = false;

  constructor(private readonly o: ToastSinkOptions) {}

  get status(): ToastStatus {
    return this.current;
  }

  pending(): Alert[] {
    return [...this.queue];
  }

  deliver(alert: Alert): Promise<void> {
    return this.serial.run(async () => {
      this.queue.push(alert);
      while (this.queue.length > (this.o.maxPending ?? 100)) this.queue.shift();
      await this.flush();
    });
  }

  retryPending(): Promise<{ delivered: number; pending: number }> {
    return this.serial.run(async () => ({ delivered: await this.flush(), pending: this.queue.length }));
  }

  async close(): Promise<void> {
    await this.serial.run(async () => undefined);
    if (this.queue.length) (this.o.logger ?? console).warn(`${this.queue.length} alert(s) were never shown; \`connwatch alerts\` lists them.`);
  }

  private async flush(): Promise<number> {
    let shown = 0;
    while (this.queue.length) {
      const err = await this.show(this.queue[0]!);
      if (err) {
        this.current = { state: 'unavailable', error: err };
        if (!this.warned) (this.o.logger ?? console).warn(`${err.message}\n  hint: ${err.hint ?? ''}`);
        this.warned = true;
        return shown;
      }
      this.queue.shift();
      shown++;
      this.current = { state: 'available' };
      this.warned = false;
    }
    return shown;
  }

  private load(): Promise<Notifier> {
    this.notifier ??= (async () => {
      const options = { withFallback: false, ...(this.o.customPath ? { customPath: this.o.customPath } : {}) };
      if (this.o.kind === 'windows-toaster') {
        const { default: WindowsToaster } = await import('node-notifier/notifiers/toaster.js');
        return new WindowsToaster(options) as unknown as Notifier;
      }
      const { default: NotificationCenter } = await import('node-notifier/notifiers/notificationcenter.js');
      return new NotificationCenter(options) as unknown as Notifier;
    })();
    return this.notifier;
  }

  /** Shows one alert; a ConnwatchError saying why it could not. */
  private async show(alert: Alert): Promise<ConnwatchError | undefined> {
    let n: Notifier;
    try {
      n = await this.load();
    } catch (err) {
      return new ConnwatchError('NOTIFY_UNAVAILABLE', `node-notifier could not be loaded: ${messageOf(err)}`, { hint: 'Reinstall connwatch.', cause: err });
    }
    const what = this.o.kind === 'windows-toaster' ? 'SnoreToast' : 'terminal-notifier';
    return new Promise((done) => {
      let answered = false;
      n.notify(toastOptions(this.o.kind, alert), (err, response) => {
        // node-notifier's toaster may call back twice for one failure; the first answer counts
        if (answered) return;
        answered = true;
        // SnoreToast answers through its pipe (activate, timedout, dismissed, hidden); node-notifier
        // reports only exit code -1 as an error, so a crash (no answer at all) looks like success
        if (!err && (response || this.o.kind !== 'windows-toaster')) return done(undefined);
        done(new ConnwatchError('NOTIFY_FAILED', `${what} could not show "${formatSummary(alert)}": ${err ? messageOf(err) : NO_ANSWER}`, {
          hint: 'Run `connwatch doctor`: it checks the Start-menu shortcut, whether notifications are switched on, and whether connwatch runs as a service (where no notification can show).',
          cause: err,
        }));
      });
    });
  }
}
