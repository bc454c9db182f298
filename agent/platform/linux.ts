/**
 * Linux: XDG base directories, a systemd user service (install/install.ts), notify-send over the
 * session bus, the captures and the process scan as default sources (each program's own are in
 * programs.ts); the doctor's checks that ask systemd, D-Bus and /proc are doctor/'s.
 */
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { pathsIn } from './places.js';
import type { Platform } from './types.js';

export const linux: Platform = {
  id: 'linux',
  label: 'Linux',
  paths(env) {
    const home = env.HOME || homedir();
    const configDir = posix.join(env.XDG_CONFIG_HOME || posix.join(home, '.config'), 'connwatch');
    const stateDir = posix.join(env.XDG_STATE_HOME || posix.join(home, '.local', 'state'), 'connwatch');
    return pathsIn(configDir, stateDir, stateDir, env.XDG_RUNTIME_DIR || undefined, posix.join);
  },
  notifier: 'notify-send',
  defaultSources: (p) => [
    { type: 'captures', path: posix.join(p.captureDir, '*.jsonl'), isDefault: true },
    { type: 'process-scan', intervalMs: 60_000, isDefault: true },
  ],
  autostart: 'a systemd user service (connwatch.service)',
};
