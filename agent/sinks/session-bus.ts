/**
 * Finds the D-Bus session bus that desktop notifications go through.
 *
 * A terminal in the desktop session has DBUS_SESSION_BUS_ADDRESS. A systemd user service may
 * not (unless the session imported it into the user manager), but on systemd desktops the
 * user bus listens at $XDG_RUNTIME_DIR/bus (dbus-user-session, dbus-broker), so that socket is
 * the fallback. Without either there is nothing to talk to, and the caller reports how to fix it.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConnwatchError } from '../errors.js';

export type SessionBus =
  | { found: true; address: string; from: 'DBUS_SESSION_BUS_ADDRESS' | 'XDG_RUNTIME_DIR' }
  | { found: false; error: ConnwatchError };

export const IMPORT_ENV_HINT =
  'if connwatch runs as a systemd user service, run `systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY` ' +
  'in your desktop session (or add it to its autostart), then `systemctl --user restart connwatch`';

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

export function findSessionBus(env: NodeJS.ProcessEnv = process.env): SessionBus {
  const address = env.DBUS_SESSION_BUS_ADDRESS?.trim();
  if (address) return { found: true, address, from: 'DBUS_SESSION_BUS_ADDRESS' };
  const runtimeDir = env.XDG_RUNTIME_DIR?.trim();
  if (runtimeDir) {
    const socket = join(runtimeDir, 'bus');
    if (isSocket(socket)) return { found: true, address: `unix:path=${socket}`, from: 'XDG_RUNTIME_DIR' };
  }
  const where = runtimeDir ? `and ${join(runtimeDir, 'bus')} is not a socket` : 'and XDG_RUNTIME_DIR is not set either';
  return {
    found: false,
    error: new ConnwatchError('NOTIFY_UNAVAILABLE', `No D-Bus session bus for desktop notifications: DBUS_SESSION_BUS_ADDRESS is not set ${where}.`, {
      hint: IMPORT_ENV_HINT,
    }),
  };
}
