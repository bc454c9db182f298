/**
 * What a doctor check is: a function of a DoctorContext (everything it looks at, injectable) to
 * results, each with a status, a one-line finding that names what and where, and the fix.
 * `doctorContext()` builds the real context: this machine's paths, PATH, /proc, config.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { paths, type Paths } from '../config/paths.js';
import { ConnwatchError, messageOf } from '../errors.js';
import { builtinRulesDir } from '../rules/load.js';
import { realSystem, type System } from './system.js';

export const CHECK_STATUSES = ['ok', 'warn', 'fail'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface CheckResult {
  /** Which check, e.g. "auth-log", "notify-server". */
  check: string;
  status: CheckStatus;
  /** One line: what was found and where. */
  finding: string;
  /** What to do about it (absent when there is nothing to do). */
  fix?: string;
}

export interface DoctorContext {
  sys: System;
  paths: Paths;
  /** undefined when the config file is invalid (configError says why). */
  config: Config | undefined;
  configError?: ConnwatchError;
  authLog: string;
  journalDirs: string[];
  groupFile: string;
  /** ~/.local/bin, where shims live. */
  binDir: string;
  builtinRulesDir: string;
  user: string;
}

export type SyncCheck = (ctx: DoctorContext) => CheckResult[];
export type AsyncCheck = (ctx: DoctorContext) => Promise<CheckResult[]>;
export type Check = SyncCheck | AsyncCheck;

export function doctorContext(sys: System = realSystem(), overrides: Partial<DoctorContext> = {}): DoctorContext {
  const p = overrides.paths ?? paths(sys.env);
  let config: Config | undefined;
  let configError: ConnwatchError | undefined;
  try {
    config = loadConfig(p);
  } catch (err) {
    configError = err instanceof ConnwatchError ? err : new ConnwatchError('CONFIG_INVALID', messageOf(err), { cause: err });
  }
  const home = sys.env.HOME || homedir();
  return {
    sys,
    paths: p,
    config,
    ...(configError ? { configError } : {}),
    authLog: '/var/log/auth.log',
    journalDirs: ['/var/log/journal', '/run/log/journal'],
    groupFile: '/etc/group',
    binDir: join(home, '.local', 'bin'),
    builtinRulesDir: builtinRulesDir(),
    user: sys.env.USER || sys.env.LOGNAME || 'you',
    ...overrides,
  };
}
