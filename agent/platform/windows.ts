/**
 * Windows: configuration in %APPDATA%\connwatch (roams with the profile), state, captures and
 * logs in %LOCALAPPDATA%\connwatch (this machine only). Started by a per-user logon task
 * (task-xml.ts; a service would run in session 0, where no toast can show). Alerts as toasts
 * through node-notifier's WindowsToaster (SnoreToast), which needs the Start-menu shortcut that
 * carries our AppUserModelID. Default sources: `connwatch wrap` captures, plink `-sshlog` files
 * in %LOCALAPPDATA%\connwatch\plink-logs, and the log files of saved PuTTY sessions that log
 * SSH packets (putty-sessions.ts).
 */
import { win32 } from 'node:path';
import type { ResolvedSource } from '../config/config.js';
import type { Paths } from '../config/paths.js';
import { pathsIn } from './places.js';
import { readPuttySessions, sessionLogs, type PuttySession } from './putty-sessions.js';
import type { Platform } from './types.js';

/** AppUserModelID of our toasts, and the shortcut (under the Start menu's Programs) that registers it. */
export const APP_ID = 'connwatch.agent';
export const SHORTCUT = 'connwatch\\connwatch.lnk';
export const TASK_NAME = 'connwatch';

export function roaming(env: NodeJS.ProcessEnv): string {
  return env.APPDATA || win32.join(profile(env), 'AppData', 'Roaming');
}

export function local(env: NodeJS.ProcessEnv): string {
  return env.LOCALAPPDATA || win32.join(profile(env), 'AppData', 'Local');
}

function profile(env: NodeJS.ProcessEnv): string {
  return env.USERPROFILE || win32.join(env.HOMEDRIVE || 'C:', env.HOMEPATH || '\\');
}

/** Where SnoreToast's `-install` puts the shortcut. */
export function shortcutPath(env: NodeJS.ProcessEnv): string {
  return win32.join(roaming(env), 'Microsoft', 'Windows', 'Start Menu', 'Programs', SHORTCUT);
}

/** The folder the docs tell people to point plink's -sshlog at. */
export function plinkLogDir(p: Paths): string {
  return win32.join(p.stateDir, 'plink-logs');
}

let sessions: { sessions: PuttySession[]; error?: string } | undefined;

/** Saved PuTTY sessions, read once per process. */
export function puttySessions(): { sessions: PuttySession[]; error?: string } {
  sessions ??= readPuttySessions();
  return sessions;
}

/** Every default source here: the captures and plink's (plinkWindowsSources). */
export function windowsSources(p: Paths, saved: PuttySession[]): ResolvedSource[] {
  return [{ type: 'captures', path: win32.join(p.captureDir, '*.jsonl'), isDefault: true }, ...plinkWindowsSources(p, saved)];
}

/** plink's default sources here (programs.ts): its -sshlog folder and the logs of saved PuTTY sessions. */
export function plinkWindowsSources(p: Paths, saved: PuttySession[] = puttySessions().sessions): ResolvedSource[] {
  return [
    { type: 'file', path: win32.join(plinkLogDir(p), '*.log'), program: 'plink', isDefault: true },
    ...sessionLogs(saved).globs.map((g): ResolvedSource => ({ type: 'file', path: g.glob, program: 'plink', isDefault: true })),
  ];
}

export const windows: Platform = {
  id: 'windows',
  label: 'Windows',
  paths(env) {
    const state = win32.join(local(env), 'connwatch');
    return pathsIn(win32.join(roaming(env), 'connwatch'), state, win32.join(state, 'logs'), undefined, win32.join);
  },
  notifier: 'windows-toaster',
  defaultSources: (p) => [{ type: 'captures', path: win32.join(p.captureDir, '*.jsonl'), isDefault: true }],
  autostart: `a logon task in Task Scheduler (\\${TASK_NAME})`,
};
