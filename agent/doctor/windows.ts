/**
 * Windows doctor checks: why a toast cannot show, and whether the agent starts at logon.
 *
 * - toast-session: a service (SYSTEM, LocalService, NetworkService, session 0) cannot show a
 *   toast; connwatch must run as the user, from the logon task;
 * - toast-shortcut: SnoreToast shows a toast only for an AppUserModelID registered by a
 *   Start-menu shortcut; without it the toast says "SnoreToast" or Windows drops it
 *   ("Notifications are disabled Reason: DisabledForUser");
 * - toast-enabled: notifications switched off for every app (PushNotifications ToastEnabled 0)
 *   or for connwatch (Notifications\Settings\connwatch.agent Enabled 0), read with `reg query`;
 *   Focus Assist (Do not disturb) keeps its state in an undocumented binary value, so the check
 *   names it as the remaining cause instead of reading it;
 * - logon-task: `schtasks /query /tn connwatch`.
 */
import { existsSync } from 'node:fs';
import type { AsyncCheck, Check, SyncCheck } from './check.js';
import { APP_ID, puttySessions, shortcutPath, TASK_NAME } from '../platform/windows.js';
import type { PuttySession } from '../platform/putty-sessions.js';
import { sessionLogs } from '../platform/putty-sessions.js';

const SERVICE_ACCOUNTS = /^(SYSTEM|LOCAL SERVICE|NETWORK SERVICE|LocalService|NetworkService)$/i;

export const checkToastSession: SyncCheck = (ctx) => {
  const env = ctx.sys.env;
  const user = env.USERNAME ?? '';
  const profile = env.USERPROFILE ?? '';
  const service = SERVICE_ACCOUNTS.test(user) || user.endsWith('$') || /\\system32\\config\\systemprofile|\\ServiceProfiles\\/i.test(profile);
  if (!service) return [{ check: 'toast-session', status: 'ok', finding: `running as ${user || 'an unnamed user'}, not as a service` }];
  return [{
    check: 'toast-session',
    status: 'fail',
    finding: `running as ${user || profile} (a service account): services run in session 0, where Windows shows no toast to anyone`,
    fix: 'Remove the service (sc delete, or the tool that created it) and run `connwatch install` as yourself: it registers a logon task that runs in your session.',
  }];
};

export const checkToastShortcut: SyncCheck = (ctx) => {
  const lnk = shortcutPath(ctx.sys.env);
  if (existsSync(lnk)) return [{ check: 'toast-shortcut', status: 'ok', finding: `the Start-menu shortcut ${lnk} registers the app id ${APP_ID}` }];
  return [{
    check: 'toast-shortcut',
    status: 'fail',
    finding: `no Start-menu shortcut ${lnk}: Windows shows toasts only for an app id a shortcut registers, so they appear as "SnoreToast" or not at all ("Notifications are disabled Reason: DisabledForUser")`,
    fix: 'connwatch install (it creates the shortcut with SnoreToast -install)',
  }];
};

/** "    Name    REG_DWORD    0x0" → 0 */
function dwordOf(text: string, name: string): number | undefined {
  const m = new RegExp(`^\\s+${name}\\s+REG_DWORD\\s+(0x[0-9a-f]+)`, 'im').exec(text);
  return m ? parseInt(m[1]!, 16) : undefined;
}

export const checkToastEnabled: AsyncCheck = async (ctx) => {
  const all = await ctx.sys.run('reg', ['query', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\PushNotifications', '/v', 'ToastEnabled'], { timeoutMs: 10_000 });
  if (all.error === 'ENOENT') return [{ check: 'toast-enabled', status: 'warn', finding: 'reg.exe was not found, so whether notifications are switched on is unknown' }];
  if (all.code === 0 && dwordOf(all.stdout, 'ToastEnabled') === 0) {
    return [{ check: 'toast-enabled', status: 'fail', finding: 'notifications are switched off for every app (PushNotifications\\ToastEnabled is 0)', fix: 'Settings → System → Notifications: switch "Notifications" on.' }];
  }
  const app = await ctx.sys.run('reg', ['query', `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Notifications\\Settings\\${APP_ID}`, '/v', 'Enabled'], { timeoutMs: 10_000 });
  if (app.code === 0 && dwordOf(app.stdout, 'Enabled') === 0) {
    return [{ check: 'toast-enabled', status: 'fail', finding: `notifications are switched off for connwatch (Notifications\\Settings\\${APP_ID}\\Enabled is 0)`, fix: 'Settings → System → Notifications: find "connwatch" in the list of apps and switch it on.' }];
  }
  return [{
    check: 'toast-enabled',
    status: 'ok',
    finding: 'notifications are switched on for all apps and not switched off for connwatch',
    fix: 'If a toast still does not show, Focus Assist ("Do not disturb") may be holding it: Settings → System → Focus assist (Windows 11: Notifications → Do not disturb) lets you turn it off or add connwatch as a priority app.',
  }];
};

export const checkLogonTask: AsyncCheck = async (ctx) => {
  const r = await ctx.sys.run('schtasks', ['/query', '/tn', TASK_NAME], { timeoutMs: 15_000 });
  if (r.code === 0) return [{ check: 'logon-task', status: 'ok', finding: `the logon task \\${TASK_NAME} is registered` }];
  return [{
    check: 'logon-task',
    status: 'warn',
    finding: `the logon task \\${TASK_NAME} is not registered (${r.error ?? `schtasks exit ${r.code}`}): connwatch does not start when you log on`,
    fix: 'connwatch install',
  }];
};

/** Saved PuTTY sessions whose logging connwatch cannot use (wired by the platform, which reads them once). */
export function puttySessionFindings(sessions: PuttySession[]): ReturnType<SyncCheck> {
  const r = sessionLogs(sessions);
  const out: ReturnType<SyncCheck> = r.globs.map((g) => ({ check: 'putty-sessions', status: 'ok' as const, finding: `saved session "${g.session}" logs SSH packets to ${g.glob}, which connwatch reads` }));
  for (const u of r.unusable) out.push({ check: 'putty-sessions', status: 'warn', finding: `saved session "${u.session}" ${u.why}`, fix: 'Open PuTTY, load the session, change Session → Logging as described, and Save.' });
  return out;
}

export const checkPuttySessions: SyncCheck = () => {
  const { sessions, error } = puttySessions();
  if (error) return [{ check: 'putty-sessions', status: 'warn', finding: `cannot read saved PuTTY sessions with reg query: ${error}` }];
  return puttySessionFindings(sessions);
};

export const WINDOWS_CHECKS: ReadonlyArray<readonly [string, Check]> = [
  ['toast-session', checkToastSession],
  ['toast-shortcut', checkToastShortcut],
  ['toast-enabled', checkToastEnabled],
  ['logon-task', checkLogonTask],
  ['putty-sessions', checkPuttySessions],
];
