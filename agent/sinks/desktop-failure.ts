/**
 * Why a notification could not be shown: notify-send's (or node-notifier's) error mapped onto a
 * reason the desktop sink acts on (keep the alert pending, or give it up after a few tries) and
 * an error a person can act on (what is missing, and the fix).
 */
import { ConnwatchError } from '../errors.js';
import { cap, oneLine } from './escape.js';
import { IMPORT_ENV_HINT } from './session-bus.js';

/** Why notifications cannot be shown right now. */
export type UnavailableReason = 'notify-send-missing' | 'no-bus' | 'no-server' | 'failed';

/** One try to show a notification: its server id (and the process waiting for its actions), or why not. */
export type Attempt<W = unknown> = { ok: true; id: number; waiter?: W } | { ok: false; reason: UnavailableReason; error: ConnwatchError };

/** exec's error message is "Command failed: <cmd>\n<stderr>"; the command holds alert text, so cut it off. */
function stderrOf(err: Error): string {
  const cmd = (err as Error & { cmd?: unknown }).cmd;
  const prefix = typeof cmd === 'string' ? `Command failed: ${cmd}\n` : '';
  const text = prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return cap(oneLine(text), 300);
}

/** Maps notify-send's (or node-notifier's) error onto a reason and an error a person can act on. */
export function classify(err: unknown, address: string, path: string | undefined): Attempt<never> {
  // node-notifier calls back with notify-send's stderr (a string, usually empty) on success.
  if (!(err instanceof Error)) return { ok: true, id: 0 };
  const exitCode = (err as Error & { code?: unknown }).code;
  const stderr = stderrOf(err);
  const unavailable = (reason: UnavailableReason, message: string, hint: string): Attempt<never> => ({
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

export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
