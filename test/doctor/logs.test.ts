/**
 * doctor: can the agent read auth.log, its other log files and the system journal? Each broken
 * situation is made for real (a missing file, a 0640 root:adm file, a journal directory only
 * group systemd-journal may read) and the check runs as a user without those groups.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkAuthLog, checkJournal, checkLogFiles } from '../../agent/doctor/logs.js';
import { groupNamed } from '../../agent/doctor/perms.js';
import { realSystem } from '../../agent/doctor/system.js';
import { CHECK_USER, checkUnprivileged, runsAsRoot } from './as-user.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-doctor-logs-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file only `group` (and root) may read: mode 0640, root:group when we can chown. */
function groupOnlyFile(path: string, group: string): void {
  writeFileSync(path, 'x\n');
  const g = groupNamed('/etc/group', group);
  if (runsAsRoot && g) chownSync(path, 0, g.gid);
  chmodSync(path, runsAsRoot ? 0o640 : 0o000);
}

describe('doctor: auth.log', () => {
  it('missing, and no journal either: a warning that points at the sshd verdict, not "ok"', () => {
    const [r] = checkAuthLog(doctorContext(realSystem(), { authLog: join(dir, 'no-auth.log'), journalDirs: [join(dir, 'no-journal')] }));
    expect(r!.status).toBe('warn');
    expect(r!.finding).toBe(`${join(dir, 'no-auth.log')} does not exist, and there is no system journal either (see the see:sshd verdict)`);
  });

  it('missing: says sshd logs only to the journal here and that connwatch reads it with journalctl', () => {
    const journal = join(dir, 'journal-for-auth');
    mkdirSync(join(journal, 'machine'), { recursive: true });
    writeFileSync(join(journal, 'machine', 'system.journal'), '');
    const [r] = checkAuthLog(doctorContext(realSystem(), { authLog: join(dir, 'no-auth.log'), journalDirs: [journal] }));
    expect(r!.status).toBe('ok');
    expect(r!.finding).toBe(`${join(dir, 'no-auth.log')} does not exist: sshd logs only to the journal here; connwatch reads it with journalctl`);
  });

  it('unreadable (0640 root:adm): fails and says to join group adm and log in again', async () => {
    const path = join(dir, 'auth.log');
    groupOnlyFile(path, 'adm');
    const [r] = await checkUnprivileged('checkAuthLog', { authLog: path });
    expect(r!.status).toBe('fail');
    expect(r!.finding).toBe(`${path} exists but ${CHECK_USER} cannot read it (permission denied): sshd's side of every connection is invisible`);
    if (runsAsRoot) expect(r!.fix).toBe('Add yourself to group "adm": sudo usermod -aG adm $USER, then log out and log in again.');
    else expect(r!.fix).toMatch(/sudo usermod -aG adm \$USER|log in again/);
  });

  it('unreadable although /etc/group already lists the user in adm: only a new login is missing', async () => {
    const path = join(dir, 'auth2.log');
    groupOnlyFile(path, 'adm');
    const groups = join(dir, 'group');
    writeFileSync(groups, `root:x:0:\nadm:x:${groupNamed('/etc/group', 'adm')?.gid ?? 4}:syslog,${CHECK_USER}\n`);
    chmodSync(groups, 0o644);
    const [r] = await checkUnprivileged('checkAuthLog', { authLog: path, groupFile: groups });
    expect(r!.status).toBe('fail');
    expect(r!.fix).toBe(`${CHECK_USER} is in group "adm" already, but this session started before that: log out and log in again (or reboot).`);
  });

  it('readable: ok', () => {
    const path = join(dir, 'auth-ok.log');
    writeFileSync(path, 'x\n');
    expect(checkAuthLog(doctorContext(realSystem(), { authLog: path }))[0]).toEqual({ check: 'auth-log', status: 'ok', finding: `${path} is readable` });
  });
});

describe('doctor: configured log files', () => {
  it('a configured file that does not exist is a warning naming the file; an unreadable one fails', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    chmodSync(home, 0o755);
    const missing = join(dir, 'gone.log');
    const locked = join(dir, 'locked.log');
    groupOnlyFile(locked, 'adm');
    mkdirSync(join(home, '.config', 'connwatch'), { recursive: true });
    writeFileSync(join(home, '.config', 'connwatch', 'config.json'), JSON.stringify({ replaceDefaultSources: true, sources: [{ type: 'file', path: missing }, { type: 'file', path: locked }] }));
    chmodSync(join(home, '.config', 'connwatch', 'config.json'), 0o644);
    for (const d of ['.config', '.config/connwatch']) chmodSync(join(home, d), 0o755);
    const sys = realSystem({ ...process.env, HOME: home, XDG_CONFIG_HOME: '', XDG_STATE_HOME: '' });
    const results = checkLogFiles(doctorContext(sys));
    expect(results[0]).toMatchObject({ status: 'warn', finding: expect.stringContaining(`${missing} (configured in ${join(home, '.config', 'connwatch', 'config.json')}) does not exist`) });
    const [, lockedResult] = await checkUnprivileged('checkLogFiles', { config: doctorContext(sys).config! });
    expect(lockedResult).toMatchObject({ status: 'fail', finding: `${locked} exists but ${CHECK_USER} cannot read it (permission denied)` });
  });
});

describe('doctor: system journal', () => {
  const journalCtx = { config: { sources: [{ type: 'journal' as const, scope: 'system' as const, isDefault: true }], ruleDirs: [], disabled: [], hangWindowMs: undefined, minSeverity: 'warning' as const, quietHours: undefined, foldMs: 2000, file: undefined } };

  it('no journal files at all: a warning that sshd is seen only through auth.log', () => {
    const empty = mkdtempSync(join(dir, 'journal-empty-'));
    const auth = join(dir, 'present-auth.log');
    writeFileSync(auth, '');
    const [r] = checkJournal(doctorContext(realSystem(), { ...journalCtx, journalDirs: [empty], authLog: auth }));
    expect(r).toMatchObject({ status: 'warn', finding: `no system journal in ${empty}: journald keeps nothing here, so sshd is seen only through ${auth}` });
  });

  it('no journal and no auth.log: says sshd is not seen at all, never that auth.log covers it', () => {
    const empty = mkdtempSync(join(dir, 'journal-empty-'));
    const [r] = checkJournal(doctorContext(realSystem(), { ...journalCtx, journalDirs: [empty], authLog: join(dir, 'absent-auth.log') }));
    expect(r!.finding).toMatch(/with no .*absent-auth\.log either, sshd is not seen at all/);
  });

  it('journal files only group systemd-journal may read: fails with the group fix', async () => {
    const jdir = mkdtempSync(join(dir, 'journal-'));
    chmodSync(jdir, 0o755);
    mkdirSync(join(jdir, '0123456789abcdef'));
    chmodSync(join(jdir, '0123456789abcdef'), 0o755);
    const file = join(jdir, '0123456789abcdef', 'system.journal');
    groupOnlyFile(file, 'systemd-journal');
    const [r] = await checkUnprivileged('checkJournal', { ...journalCtx, journalDirs: [jdir] });
    expect(r!.status).toBe('fail');
    expect(r!.finding).toBe(`the system journal (${file}) is not readable by ${CHECK_USER}: sshd messages in the journal are invisible`);
    if (runsAsRoot) expect(r!.fix).toBe('Add yourself to group "systemd-journal": sudo usermod -aG systemd-journal $USER, then log out and log in again. (group "adm" works too)');
    // readable by root: ok
    if (runsAsRoot) expect(checkJournal(doctorContext(realSystem(), { ...journalCtx, journalDirs: [jdir] }))[0]!.status).toBe('ok');
  });
});
