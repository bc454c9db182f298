/**
 * doctor's per-program verdict: can connwatch see sshd and each installed client, through what,
 * and the fix when it cannot. Each situation is made for real: a missing or present auth.log, a
 * journal directory with a system journal file, a fake client on PATH with and without a shim.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { runDoctor } from '../../agent/doctor/index.js';
import { realSystem } from '../../agent/doctor/system.js';
import { checkVisibility } from '../../agent/doctor/visibility.js';
import { MARKER } from '../../agent/install/service.js';
import type { Config } from '../../agent/config/config.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-visibility-'));
const fakeSshd = join(dir, 'sshd');
writeFileSync(fakeSshd, '');
const noJournal = join(dir, 'no-journal');
const journal = join(dir, 'journal');
mkdirSync(join(journal, 'machine'), { recursive: true });
writeFileSync(join(journal, 'machine', 'system.journal'), '');

function config(sources: Config['sources']): Config {
  return { sources, ruleDirs: [], disabled: [], hangWindowMs: undefined, minSeverity: 'warning', quietHours: undefined, foldMs: 2000, file: undefined } as Config;
}
const auth = join(dir, 'auth.log');
writeFileSync(auth, '');
const both = config([
  { type: 'file', path: auth, isDefault: true },
  { type: 'journal', scope: 'system', isDefault: true },
]);
const absent = join(dir, 'absent-auth.log');
const none = config([
  { type: 'file', path: absent, isDefault: true },
  { type: 'journal', scope: 'system', isDefault: true },
]);
const sys = (path = '/nonexistent-bin') => realSystem({ ...process.env, PATH: path });

describe('doctor: can connwatch see sshd?', () => {
  it('neither auth.log nor a journal, sshd installed: one failing verdict with the fix, and no check says all is well', async () => {
    const ctx = doctorContext(sys(), { authLog: absent, journalDirs: [noJournal], config: none });
    const [v] = checkVisibility(ctx, { sshdPaths: [fakeSshd] });
    expect(v).toMatchObject({ check: 'see:sshd', status: 'fail' });
    expect(v!.finding).toBe(`sshd runs here (${fakeSshd}) but connwatch cannot see it: no ${absent} and no system journal in ${noJournal}`);
    expect(v!.fix).toMatch(/mkdir -p \/var\/log\/journal .* or sudo apt install rsyslog/);
    const all = await runDoctor(ctx);
    const logChecks = all.filter((r) => r.check === 'auth-log' || r.check === 'journal');
    expect(logChecks.every((r) => r.status !== 'ok'), JSON.stringify(logChecks)).toBe(true);
    expect(JSON.stringify(all)).not.toMatch(/logs only to the journal here|seen only through/);
  });

  it('auth.log readable and a system journal: seen through both', () => {
    const [v] = checkVisibility(doctorContext(sys(), { authLog: auth, journalDirs: [journal], config: both }), { sshdPaths: [fakeSshd] });
    expect(v).toEqual({ check: 'see:sshd', status: 'ok', finding: `sshd is seen through the file ${auth} and the system journal` });
  });

  it('sshd not installed: nothing to see, not a failure', () => {
    const [v] = checkVisibility(doctorContext(sys(), { authLog: absent, journalDirs: [noJournal], config: none }), { sshdPaths: [] });
    expect(v!.status).toBe('ok');
    expect(v!.finding).toMatch(/^sshd is not installed here .*: nothing to see$/);
  });
});

describe('doctor: can connwatch see the clients?', () => {
  const bin = join(dir, 'usr-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'plink'), '#!/bin/sh\n');
  chmodSync(join(bin, 'plink'), 0o755);

  it('installed, no shim, no log file: a warning with the fix; uninstalled clients are not listed', () => {
    const home = join(dir, 'home1');
    const vs = checkVisibility(doctorContext(sys(bin), { binDir: join(home, '.local', 'bin'), config: both, journalDirs: [journal], authLog: auth }), { sshdPaths: [] });
    expect(vs.map((v) => v.check)).toEqual(['see:sshd', 'see:plink']);
    expect(vs[1]).toMatchObject({ status: 'warn', fix: 'connwatch install --shims (or start it as: connwatch wrap -- plink …)' });
    expect(vs[1]!.finding).toBe(`plink is installed (${join(bin, 'plink')}) but connwatch cannot see it: it logs only to its terminal, and no working shim or log file catches that`);
  });

  it('a shim first on PATH: seen through capture', () => {
    const shims = join(dir, 'home2', '.local', 'bin');
    mkdirSync(shims, { recursive: true });
    writeFileSync(join(shims, 'plink'), `#!/bin/sh\n# ${MARKER}: shim\n`);
    chmodSync(join(shims, 'plink'), 0o755);
    const vs = checkVisibility(doctorContext(sys(`${shims}:${bin}`), { binDir: shims, config: both, journalDirs: [journal], authLog: auth }), { sshdPaths: [] });
    expect(vs[1]).toEqual({ check: 'see:plink', status: 'ok', finding: `plink is seen through capture (the shim ${join(shims, 'plink')})` });
  });

  it('a shim after the real program on PATH: a warning to put ~/.local/bin first', () => {
    const shims = join(dir, 'home3', '.local', 'bin');
    mkdirSync(shims, { recursive: true });
    writeFileSync(join(shims, 'plink'), `#!/bin/sh\n# ${MARKER}: shim\n`);
    chmodSync(join(shims, 'plink'), 0o755);
    const vs = checkVisibility(doctorContext(sys(`${bin}:${shims}`), { binDir: shims, config: both, journalDirs: [journal], authLog: auth }), { sshdPaths: [] });
    expect(vs[1]).toMatchObject({ check: 'see:plink', status: 'warn', fix: `Put ${shims} first in PATH (in ~/.profile: PATH="$HOME/.local/bin:$PATH"), then log in again.` });
  });

  it('a readable log file configured for the client: seen through it', () => {
    const log = join(dir, 'plink-session.log');
    writeFileSync(log, '');
    const withLog = config([...both.sources, { type: 'file', path: log, program: 'plink', isDefault: false }]);
    const vs = checkVisibility(doctorContext(sys(bin), { binDir: join(dir, 'home4', '.local', 'bin'), config: withLog, journalDirs: [journal], authLog: auth }), { sshdPaths: [] });
    expect(vs[1]).toEqual({ check: 'see:plink', status: 'ok', finding: `plink is seen through the file ${log}` });
  });
});

describe('the agent start line', () => {
  it('lists its sources and says at once that no notification can be shown without a session bus', async () => {
    const { startCli, waitFor } = await import('../helpers/cli.js');
    const home = join(dir, 'agent-home');
    mkdirSync(home);
    const log = join(dir, 'watched.log');
    writeFileSync(log, '');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.XDG_RUNTIME_DIR;
    const agent = startCli(['run', '--no-defaults', '--watch', log], env);
    try {
      await waitFor(() => agent.output().includes('connwatch running'), 30_000, 'the agent to start');
      expect(agent.output()).toContain(`1 sources: ${log}`);
      expect(agent.output()).toMatch(/warn No D-Bus session bus for desktop notifications: .* Alerts go to the history only/);
    } finally {
      await agent.stop();
    }
  });
});
