/**
 * Can a notification be shown? notify-send on PATH, a session bus (DBUS_SESSION_BUS_ADDRESS or
 * $XDG_RUNTIME_DIR/bus), and someone owning org.freedesktop.Notifications on it (or able to be
 * started on demand), asked with gdbus or dbus-send through execFile, bounded by a timeout.
 */
import { findSessionBus, IMPORT_ENV_HINT } from '../sinks/session-bus.js';
import { which } from './system.js';
import type { AsyncCheck, SyncCheck, DoctorContext } from './check.js';

const NAME = 'org.freedesktop.Notifications';

/**
 * notify-send on PATH, and whether it is 0.8 or later: 0.7 (Debian 11, Ubuntu 20.04) has no
 * --print-id and --replace-id, so the agent falls back to node-notifier: an update of an attempt
 * (the server's line, a repeat, "(×2)") becomes a second notification instead of replacing the
 * first, and no actions (show the log lines, silence, stop the waiting client) are offered. The
 * same question the sink asks (its --help lists both options), and the version it names.
 */
export const checkNotifySend: AsyncCheck = async (ctx) => {
  const found = which('notify-send', ctx.sys.env.PATH);
  if (!found) {
    return [{
      check: 'notify-send',
      status: 'fail',
      finding: `notify-send is not installed (not found on PATH ${ctx.sys.env.PATH ?? '(unset)'}): no desktop notification can be shown`,
      fix: 'sudo apt install libnotify-bin',
    }];
  }
  const help = await ctx.sys.run(found, ['--help'], { timeoutMs: 5000 });
  if (help.code !== 0) {
    return [{ check: 'notify-send', status: 'warn', finding: `${found} --help did not run (${help.error ?? `exit ${String(help.code)}`}): cannot tell whether it can update a notification in place`, fix: 'sudo apt install --reinstall libnotify-bin' }];
  }
  if (help.stdout.includes('--print-id') && help.stdout.includes('--replace-id')) return [{ check: 'notify-send', status: 'ok', finding: `notify-send is ${found}` }];
  const v = await ctx.sys.run(found, ['--version'], { timeoutMs: 5000 });
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(v.stdout)?.[1];
  return [{
    check: 'notify-send',
    status: 'warn',
    finding: `${found} is ${version ? `notify-send ${version}` : 'an older notify-send'} (before 0.8: no --print-id/--replace-id): a later line of the same attempt shows a second notification instead of updating the first, and the actions (show the log lines, silence for a day, stop the waiting client) are not offered`,
    fix: 'Upgrade to libnotify-bin 0.8 or newer (Debian 12 and Ubuntu 22.04 ship it; older releases have only 0.7, so upgrade the release). The agent uses the new notify-send from its next notification on, without a restart.',
  }];
};

export const checkSessionBus: SyncCheck = (ctx) => {
  const bus = findSessionBus(ctx.sys.env);
  if (bus.found) return [{ check: 'session-bus', status: 'ok', finding: `session bus ${bus.address} (from ${bus.from})` }];
  return [{ check: 'session-bus', status: 'fail', finding: bus.error.message, fix: `Run connwatch inside your desktop session; ${IMPORT_ENV_HINT}.` }];
};

/** Asks the bus a boolean or list question with gdbus, else dbus-send. undefined: no tool. */
async function ask(ctx: DoctorContext, address: string, method: 'NameHasOwner' | 'ListActivatableNames'): Promise<{ ok: boolean; text: string } | undefined> {
  const env = { ...ctx.sys.env, DBUS_SESSION_BUS_ADDRESS: address };
  const gdbus = await ctx.sys.run(
    'gdbus',
    ['call', '--session', '--timeout', '5', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', `org.freedesktop.DBus.${method}`, ...(method === 'NameHasOwner' ? [NAME] : [])],
    { env, timeoutMs: 8000 },
  );
  if (gdbus.error !== 'ENOENT') return { ok: gdbus.code === 0, text: gdbus.code === 0 ? gdbus.stdout : `${gdbus.stderr}${gdbus.error ?? ''}` };
  const ds = await ctx.sys.run(
    'dbus-send',
    ['--session', '--print-reply', '--reply-timeout=5000', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', `org.freedesktop.DBus.${method}`, ...(method === 'NameHasOwner' ? [`string:${NAME}`] : [])],
    { env, timeoutMs: 8000 },
  );
  if (ds.error === 'ENOENT') return undefined;
  return { ok: ds.code === 0, text: ds.code === 0 ? ds.stdout : `${ds.stderr}${ds.error ?? ''}` };
}

export const checkNotifyServer: AsyncCheck = async (ctx) => {
  const bus = findSessionBus(ctx.sys.env);
  if (!bus.found) return [];
  const owner = await ask(ctx, bus.address, 'NameHasOwner');
  if (!owner) {
    return [{ check: 'notify-server', status: 'warn', finding: 'cannot ask the session bus for a notification server: neither gdbus nor dbus-send is installed', fix: 'sudo apt install libglib2.0-bin (gdbus), then run connwatch doctor again.' }];
  }
  if (!owner.ok) {
    return [{ check: 'notify-server', status: 'fail', finding: `the session bus ${bus.address} does not answer: ${owner.text.trim().split('\n')[0] ?? ''}`, fix: `The address is stale or the bus is gone; ${IMPORT_ENV_HINT}.` }];
  }
  if (/true/.test(owner.text)) return [{ check: 'notify-server', status: 'ok', finding: `${NAME} has an owner on ${bus.address}` }];
  const activatable = await ask(ctx, bus.address, 'ListActivatableNames');
  if (activatable?.ok && activatable.text.includes(NAME)) {
    return [{ check: 'notify-server', status: 'ok', finding: `${NAME} is not running on ${bus.address} but is started on demand` }];
  }
  return [{
    check: 'notify-server',
    status: 'fail',
    finding: `no notification server on the session bus ${bus.address}: nobody owns ${NAME}, so notifications are lost`,
    fix: 'Start your desktop\'s notification daemon; in a bare X session install one (sudo apt install dunst, or notification-daemon) and start it with the session.',
  }];
};
