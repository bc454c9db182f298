/**
 * Can a notification be shown? notify-send on PATH, a session bus (DBUS_SESSION_BUS_ADDRESS or
 * $XDG_RUNTIME_DIR/bus), and someone owning org.freedesktop.Notifications on it (or able to be
 * started on demand), asked with gdbus or dbus-send through execFile, bounded by a timeout.
 */
import { findSessionBus, IMPORT_ENV_HINT } from '../sinks/session-bus.js';
import { which } from './system.js';
import type { AsyncCheck, SyncCheck, DoctorContext } from './check.js';

const NAME = 'org.freedesktop.Notifications';

export const checkNotifySend: SyncCheck = (ctx) => {
  const found = which('notify-send', ctx.sys.env.PATH);
  if (found) return [{ check: 'notify-send', status: 'ok', finding: `notify-send is ${found}` }];
  return [{
    check: 'notify-send',
    status: 'fail',
    finding: `notify-send is not installed (not found on PATH ${ctx.sys.env.PATH ?? '(unset)'}): no desktop notification can be shown`,
    fix: 'sudo apt install libnotify-bin',
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
