/**
 * `systemctl --user …` through execFile, telling "the user manager answered" apart from "there
 * is no user manager to ask" (systemctl not installed, no systemd --user, no bus to reach it), so
 * callers can print what to run later instead of failing.
 */
import type { RunResult, System } from './system.js';

export const UNIT_NAME = 'connwatch.service';

export type UserCtl =
  | { reached: true; result: RunResult; out: string }
  | { reached: false; reason: string };

const NO_MANAGER = /Failed to connect to bus|Failed to connect to user scope bus|No medium found|has not been booted with systemd|Host is down|DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR/i;

export async function userCtl(sys: System, args: readonly string[], timeoutMs = 15_000): Promise<UserCtl> {
  const result = await sys.run('systemctl', ['--user', ...args], { timeoutMs });
  if (result.error === 'ENOENT') return { reached: false, reason: 'systemctl is not installed' };
  if (result.error === 'TIMEOUT') return { reached: false, reason: `systemctl --user ${args.join(' ')} did not answer within ${timeoutMs / 1000} s` };
  if (result.code === null) return { reached: false, reason: `systemctl could not run (${result.error ?? 'unknown error'})` };
  const out = `${result.stdout}${result.stderr}`.trim();
  if (result.code !== 0 && NO_MANAGER.test(out)) return { reached: false, reason: `no user manager (${out.split('\n')[0]})` };
  return { reached: true, result, out };
}

/** is-active / is-enabled answer (first line of stdout), or undefined without a user manager. */
export async function unitState(sys: System, verb: 'is-active' | 'is-enabled', unit = UNIT_NAME): Promise<{ state: string } | { unknown: string }> {
  const r = await userCtl(sys, [verb, unit]);
  if (!r.reached) return { unknown: r.reason };
  const state = r.result.stdout.trim().split('\n')[0] ?? '';
  if (state) return { state };
  if (/No such file|not found|not-found|does not exist/i.test(r.out)) return { state: 'not-found' };
  return { state: r.result.code === 0 ? 'yes' : `unknown (${r.out.split('\n')[0] ?? ''})` };
}
