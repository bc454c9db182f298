/**
 * Can connwatch see each program? One verdict per program, from what the configuration and the
 * machine offer: a readable log file, the system journal, capture (a shim or `connwatch wrap`),
 * or nothing, with the fix for "nothing". The other log checks say whether one file can be read;
 * this says what that means for each program, so a machine with neither auth.log nor a journal
 * gets "sshd: invisible" and a failing check instead of two checks that contradict each other.
 */
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { isOurs, realProgram, SHIM_PROGRAMS, type ShimName } from '../install/service.js';
import { systemJournalFiles } from './logs.js';
import { canRead, which } from './system.js';
import type { CheckResult, DoctorContext } from './check.js';

export interface VisibilityOptions {
  /** Where sshd may be installed (default: the usual sbin directories, then PATH). */
  sshdPaths?: readonly string[];
}

const SSHD_PATHS = ['/usr/sbin/sshd', '/sbin/sshd', '/usr/local/sbin/sshd'];

/** Readable configured files (not globs) whose program is `program`, or unset when `anyProgram`. */
function readableFiles(ctx: DoctorContext, program: string, anyProgram: boolean): string[] {
  return (ctx.config?.sources ?? [])
    .filter((s) => s.type === 'file' && s.path && !/[*?[]/.test(s.path) && (s.program === program || (anyProgram && !s.program)))
    .map((s) => s.path!)
    .filter((p) => existsSync(p) && canRead(p));
}

function sshdVerdict(ctx: DoctorContext, o: VisibilityOptions): CheckResult {
  const installed = (o.sshdPaths ?? SSHD_PATHS).find((p) => existsSync(p)) ?? (o.sshdPaths ? undefined : which('sshd', ctx.sys.env.PATH));
  const files = readableFiles(ctx, 'sshd', true);
  const journalWanted = (ctx.config?.sources ?? []).some((s) => s.type === 'journal' && s.scope !== 'user');
  const journal = systemJournalFiles(ctx.journalDirs);
  const journalReadable = journalWanted && journal.some((f) => canRead(f));
  const ways = [...files.map((f) => `the file ${f}`), ...(journalReadable ? ['the system journal'] : [])];
  if (ways.length) return { check: 'see:sshd', status: 'ok', finding: `sshd is seen through ${ways.join(' and ')}` };
  const why = [
    existsSync(ctx.authLog) ? `${ctx.authLog} is not readable` : `no ${ctx.authLog}`,
    !journalWanted ? 'the journal is not a configured source' : journal.length ? `the system journal is not readable by ${ctx.user}` : `no system journal in ${ctx.journalDirs.join(' or ')}`,
  ].join(' and ');
  if (!installed) return { check: 'see:sshd', status: 'ok', finding: `sshd is not installed here (${why}): nothing to see` };
  const fix = existsSync(ctx.authLog)
    ? 'Let connwatch read it: sudo usermod -aG adm $USER, then log in again (see the auth-log check).'
    : journal.length
      ? 'Let connwatch read the journal: sudo usermod -aG systemd-journal $USER, then log in again.'
      : 'Give sshd somewhere to log: sudo mkdir -p /var/log/journal && sudo systemctl restart systemd-journald (persistent journal), or sudo apt install rsyslog (writes /var/log/auth.log).';
  return { check: 'see:sshd', status: 'fail', finding: `sshd runs here (${installed}) but connwatch cannot see it: ${why}`, fix };
}

function clientVerdict(ctx: DoctorContext, name: ShimName | 'ssh'): CheckResult | undefined {
  const check = `see:${name}`;
  const real = realProgram(name, ctx.sys.env.PATH, ctx.binDir);
  if (!real) return undefined;
  const program = name === 'ssh' ? 'ssh' : (SHIM_PROGRAMS[name] ?? 'other');
  const ways: string[] = [];
  const shim = join(ctx.binDir, name);
  const pathDirs = (ctx.sys.env.PATH ?? '').split(delimiter).map((d) => (d ? resolve(d) : d));
  const bin = pathDirs.indexOf(resolve(ctx.binDir));
  const realAt = pathDirs.indexOf(resolve(dirname(real)));
  const shimWorks = name !== 'ssh' && existsSync(shim) && isOurs(shim) && bin >= 0 && (realAt < 0 || bin < realAt);
  if (shimWorks) ways.push(`capture (the shim ${shim})`);
  ways.push(...readableFiles(ctx, program, false).map((f) => `the file ${f}`));
  if (program === 'remmina' && (ctx.config?.sources ?? []).some((s) => s.type === 'journal' && s.scope === 'user')) ways.push('the user journal (when Remmina logs there)');
  if (ways.length) return { check, status: 'ok', finding: `${name} is seen through ${ways.join(' and ')}` };
  const fix =
    name === 'ssh'
      ? 'Start it as: connwatch wrap -- ssh … (ssh logs only to its terminal), or run ssh -E FILE and add {"type":"file","path":"FILE","program":"ssh"} to the config\'s sources.'
      : existsSync(shim) && isOurs(shim)
        ? `Put ${ctx.binDir} first in PATH (in ~/.profile: PATH="$HOME/.local/bin:$PATH"), then log in again.`
        : `connwatch install --shims (or start it as: connwatch wrap -- ${name} …)`;
  return { check, status: 'warn', finding: `${name} is installed (${real}) but connwatch cannot see it: it logs only to its terminal, and no working shim or log file catches that`, fix };
}

/** One verdict per program: sshd, then each installed client. */
export function checkVisibility(ctx: DoctorContext, o: VisibilityOptions = {}): CheckResult[] {
  const out = [sshdVerdict(ctx, o)];
  for (const name of ['ssh', ...Object.keys(SHIM_PROGRAMS)] as Array<ShimName | 'ssh'>) {
    const v = clientVerdict(ctx, name);
    if (v) out.push(v);
  }
  return out;
}
