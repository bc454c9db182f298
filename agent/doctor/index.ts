/**
 * All doctor checks, in the order a person would fix things: can it read, can it notify, does
 * it start, does it see enough, are its rules sound.
 */
import { messageOf } from '../errors.js';
import type { Check, CheckResult, DoctorContext } from './check.js';
import { checkCheckpoints } from './checkpoints.js';
import { checkState } from './state.js';
import { checkInotify } from './inotify.js';
import { checkAuthLog, checkJournal, checkLogFiles } from './logs.js';
import { checkNotifySend, checkNotifyServer, checkSessionBus } from './notify.js';
import { checkConfig, checkRules } from './rules.js';
import { checkGraphicalSession, checkServiceEnabled } from './service.js';
import { platform, type Platform, type PlatformId } from '../platform/index.js';
import { checkVisibility } from './visibility.js';
import { MACOS_CHECKS } from './macos.js';
import { WINDOWS_CHECKS } from './windows.js';

export const CHECKS: ReadonlyArray<readonly [string, Check]> = [
  ['config', checkConfig],
  ['auth-log', checkAuthLog],
  ['journal', checkJournal],
  ['log-file', checkLogFiles],
  ['notify-send', checkNotifySend],
  ['session-bus', checkSessionBus],
  ['notify-server', checkNotifyServer],
  ['service', checkServiceEnabled],
  ['graphical-session', checkGraphicalSession],
  ['inotify', checkInotify],
  ['visibility', (ctx) => checkVisibility(ctx)], // one verdict per program
  ['checkpoints', checkCheckpoints],
  ['state', checkState],
  ['rules', checkRules],
];

/**
 * Checks that only make sense on one platform, run after the common ones. Kept here rather than
 * in platform/ so the doctor depends on the platform and not the other way round.
 */
const PLATFORM_CHECKS: Readonly<Record<Exclude<PlatformId, 'linux'>, ReadonlyArray<readonly [string, Check]>>> = {
  windows: WINDOWS_CHECKS,
  macos: MACOS_CHECKS,
};

/** The checks for a platform: all of the above on Linux; elsewhere the common ones and its own. */
export function checksFor(plat: Platform = platform()): ReadonlyArray<readonly [string, Check]> {
  if (plat.id === 'linux') return CHECKS;
  const common = new Set(['config', 'log-file', 'checkpoints', 'rules']);
  return [...CHECKS.filter(([n]) => common.has(n)), ...PLATFORM_CHECKS[plat.id]];
}

/** Runs every check; a check that throws becomes a warning naming it, the rest go on. */
export async function runDoctor(ctx: DoctorContext, checks = checksFor()): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [name, check] of checks) {
    try {
      results.push(...(await check(ctx)));
    } catch (err) {
      results.push({ check: name, status: 'warn', finding: `the check itself failed: ${messageOf(err)}`, fix: 'Report this as a connwatch bug.' });
    }
  }
  return results;
}
