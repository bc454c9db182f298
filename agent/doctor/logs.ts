/**
 * Can the agent read its logs? /var/log/auth.log (missing on journal-only systems, group adm
 * on Debian/Ubuntu), the other configured files, and the system journal (group systemd-journal
 * or adm). Checked with access(2) as the user running doctor, which is the user the service
 * runs as.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { canRead } from './system.js';
import { groupFix } from './perms.js';
import type { SyncCheck, CheckResult } from './check.js';

export const checkAuthLog: SyncCheck = (ctx) => {
  const path = ctx.authLog;
  if (!existsSync(path) && systemJournalFiles(ctx.journalDirs).length === 0) {
    return [{ check: 'auth-log', status: 'warn', finding: `${path} does not exist, and there is no system journal either (see the see:sshd verdict)` }];
  }
  if (!existsSync(path)) {
    return [{
      check: 'auth-log',
      status: 'ok',
      finding: `${path} does not exist: sshd logs only to the journal here; connwatch reads it with journalctl`,
      fix: 'Nothing to do (install rsyslog if you also want the file).',
    }];
  }
  if (canRead(path)) return [{ check: 'auth-log', status: 'ok', finding: `${path} is readable` }];
  return [{
    check: 'auth-log',
    status: 'fail',
    finding: `${path} exists but ${ctx.user} cannot read it (permission denied): sshd's side of every connection is invisible`,
    fix: groupFix(path, ctx.groupFile, ctx.user, 'adm'),
  }];
};

/** The configured file sources other than auth.log (globs are left to the agent). */
export const checkLogFiles: SyncCheck = (ctx) => {
  const out: CheckResult[] = [];
  for (const s of ctx.config?.sources ?? []) {
    if (s.type !== 'file' || !s.path || s.path === ctx.authLog || /[*?[]/.test(s.path)) continue;
    if (!existsSync(s.path)) {
      out.push(
        s.isDefault
          ? { check: 'log-file', status: 'ok', finding: `${s.path} does not exist (a default; watched in case it appears)` }
          : { check: 'log-file', status: 'warn', finding: `${s.path} (configured in ${ctx.config?.file ?? 'the config'}) does not exist`, fix: 'Check the path; connwatch picks the file up when it appears.' },
      );
    } else if (!canRead(s.path)) {
      out.push({ check: 'log-file', status: 'fail', finding: `${s.path} exists but ${ctx.user} cannot read it (permission denied)`, fix: groupFix(s.path, ctx.groupFile, ctx.user) });
    } else out.push({ check: 'log-file', status: 'ok', finding: `${s.path} is readable` });
  }
  return out;
};

/** System journal files (system.journal, system@…journal) under the journal directories. */
export function systemJournalFiles(dirs: readonly string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    let machines: string[];
    try {
      machines = readdirSync(dir);
    } catch {
      continue;
    }
    for (const m of machines) {
      try {
        for (const f of readdirSync(join(dir, m))) if (/^system(@.*)?\.journal~?$/.test(f)) files.push(join(dir, m, f));
      } catch {
        // not a directory, or not listable: its files count as unreadable below
        files.push(join(dir, m, 'system.journal'));
      }
    }
  }
  return files;
}

export const checkJournal: SyncCheck = (ctx) => {
  const wanted = (ctx.config?.sources ?? []).some((s) => s.type === 'journal' && s.scope !== 'user');
  if (!wanted) return [];
  const files = systemJournalFiles(ctx.journalDirs);
  if (files.length === 0) {
    return [{
      check: 'journal',
      status: 'warn',
      finding: `no system journal in ${ctx.journalDirs.join(' or ')}: journald keeps nothing here, so ${existsSync(ctx.authLog) ? `sshd is seen only through ${ctx.authLog}` : `with no ${ctx.authLog} either, sshd is not seen at all (see the see:sshd verdict)`}`,
      fix: 'If sshd runs here and logs nowhere else, enable persistent journald storage (sudo mkdir -p /var/log/journal && sudo systemctl restart systemd-journald) or install rsyslog.',
    }];
  }
  const readable = files.filter((f) => canRead(f));
  if (readable.length > 0) return [{ check: 'journal', status: 'ok', finding: `the system journal is readable (${readable.length} of ${files.length} files)` }];
  return [{
    check: 'journal',
    status: 'fail',
    finding: `the system journal (${files[0]}${files.length > 1 ? ` and ${files.length - 1} more` : ''}) is not readable by ${ctx.user}: sshd messages in the journal are invisible`,
    fix: `${groupFix(files[0]!, ctx.groupFile, ctx.user, 'systemd-journal')} (group "adm" works too)`,
  }];
};
