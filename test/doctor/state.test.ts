/**
 * doctor: old checkpoints for vanished files (the real checkpoint format of agent/sources/checkpoint.ts, written by a real
 * CheckpointStore), rule files with errors and an invalid config (the agent's own loaders).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkCheckpoints } from '../../agent/doctor/checkpoints.js';
import { checkState } from '../../agent/doctor/state.js';
import { StateProblems } from '../../agent/sources/state-file.js';
import { checkConfig, checkRules } from '../../agent/doctor/rules.js';
import { realSystem } from '../../agent/doctor/system.js';
import { CheckpointStore } from '../../agent/sources/checkpoint.js';
import { tempHome, type TempHome } from '../install/home.js';

const homes: TempHome[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h.root, { recursive: true, force: true });
});
function home(): TempHome {
  const h = tempHome('connwatch-doctor-state-');
  homes.push(h);
  return h;
}
function writeConfig(h: TempHome, config: unknown): void {
  mkdirSync(join(h.home, '.config', 'connwatch'), { recursive: true });
  writeFileSync(join(h.home, '.config', 'connwatch', 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

describe('doctor: checkpoints', () => {
  it('a saved position for a file that no longer exists: warns naming the file, the source and how to forget it', async () => {
    const h = home();
    const gone = join(h.root, 'old.log');
    const here = join(h.root, 'here.log');
    writeFileSync(here, '');
    const ctx = doctorContext(realSystem(h.env()));
    const store = new CheckpointStore(ctx.paths.checkpointFile);
    store.set(`file:${gone}`, { v: 1, files: [{ path: gone, dev: 1, ino: 2, offset: 4096, fp: 'ab', fpLen: 2 }] });
    store.set(`file:${here}`, { v: 1, files: [{ path: here, dev: 1, ino: 3, offset: 0, fp: '', fpLen: 0 }, { path: `${here}.1`, dev: 1, ino: 4, offset: 9, fp: '', fpLen: 0, rotated: true }] });
    await store.close();
    const results = checkCheckpoints(ctx);
    expect(results).toHaveLength(1);
    expect(results[0]!.status).toBe('warn');
    expect(results[0]!.finding).toBe(`${ctx.paths.checkpointFile} keeps a position (offset 4096) for ${gone}, which no longer exists (source "file:${gone}")`);
    expect(results[0]!.fix).toMatch(new RegExp(`remove the "file:${gone.replace(/[/.]/g, '\\$&')}" entry`));
    writeFileSync(gone, '');
    expect(checkCheckpoints(ctx)[0]).toMatchObject({ status: 'ok', finding: `2 saved file position(s) in ${ctx.paths.checkpointFile}, all files present` });
  });

  it('a corrupt checkpoint file: warns that positions are lost once; none yet: ok', () => {
    const h = home();
    const ctx = doctorContext(realSystem(h.env()));
    expect(checkCheckpoints(ctx)[0]).toMatchObject({ status: 'ok', finding: `no saved positions yet (${ctx.paths.checkpointFile})` });
    mkdirSync(ctx.paths.stateDir, { recursive: true });
    writeFileSync(ctx.paths.checkpointFile, '{"version":1,"entr');
    expect(checkCheckpoints(ctx)[0]).toMatchObject({ status: 'warn', finding: expect.stringMatching(/is corrupt/) });
  });
});

describe('doctor: state', () => {
  it('a state directory the agent cannot create files in: fail, naming it, with the fix', () => {
    const h = home();
    const ctx = doctorContext(realSystem(h.env()));
    expect(checkState(ctx)).toEqual([{ check: 'state', status: 'ok', finding: `${ctx.paths.stateDir} is writable (created at the first start); no state problems recorded` }]);
    mkdirSync(ctx.paths.stateDir, { recursive: true });
    expect(checkState(ctx)[0]).toMatchObject({ status: 'ok', finding: `${ctx.paths.stateDir} is writable; no state problems recorded` });
    // read-only even for root (the tests run as root): the immutable attribute
    execFileSync('chattr', ['+i', ctx.paths.stateDir]);
    try {
      const [r, ...rest] = checkState(ctx);
      expect(rest).toEqual([]);
      expect(r).toMatchObject({ check: 'state', status: 'fail' });
      expect(r!.finding).toMatch(new RegExp(`^the state directory ${ctx.paths.stateDir.replace(/[/.]/g, '\\$&')} is not writable \\(EPERM`));
      expect(r!.fix).toMatch(/connwatch keeps watching|doctor/);
    } finally {
      execFileSync('chattr', ['-i', ctx.paths.stateDir]);
    }
  });

  it('what the running agent recorded as not writable (a full disk): one warning per file, with the fix; gone once written again', () => {
    const h = home();
    const runtime = join(h.root, 'run');
    mkdirSync(runtime);
    const ctx = doctorContext(realSystem(h.env({ XDG_RUNTIME_DIR: runtime })));
    const before = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtime; // StateProblems records where the agent's environment says
    try {
      const logged: string[] = [];
      const problems = new StateProblems((level, m) => logged.push(`${level} ${m}`));
      const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      problems.failed(ctx.paths.historyFile, full);
      problems.failed(ctx.paths.deliveredFile, full);
      // the same directory and cause: one log line for both, both recorded
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(new RegExp(`^warn Cannot write ${ctx.paths.historyFile.replace(/[/.]/g, '\\$&')}: ENOSPC`));
      const results = checkState(ctx).filter((r) => r.finding.startsWith('the running agent'));
      expect(results.map((r) => r.finding)).toEqual([
        expect.stringMatching(new RegExp(`^the running agent \\(pid ${process.pid}\\) cannot write ${ctx.paths.historyFile.replace(/[/.]/g, '\\$&')} since .* UTC: Cannot write`)),
        expect.stringMatching(new RegExp(`cannot write ${ctx.paths.deliveredFile.replace(/[/.]/g, '\\$&')} since`)),
      ]);
      expect(results[0]).toMatchObject({ status: 'warn', fix: expect.stringMatching(/disk holding it is full/) });
      problems.ok(ctx.paths.historyFile);
      problems.ok(ctx.paths.deliveredFile);
      expect(logged.slice(1)).toEqual([`info ${ctx.paths.stateDir}: state files written again`]);
      expect(checkState(ctx).filter((r) => r.finding.startsWith('the running agent'))).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = before;
    }
  });

  it('a corrupt checkpoint file set aside by the agent is shown, with how to remove it', async () => {
    const h = home();
    const ctx = doctorContext(realSystem(h.env()));
    mkdirSync(ctx.paths.stateDir, { recursive: true });
    writeFileSync(ctx.paths.checkpointFile, '{"version":1,"entr');
    const errors: string[] = [];
    const store = new CheckpointStore(ctx.paths.checkpointFile, { onError: (e) => errors.push(e.message) });
    await store.load(); // what the agent does at start: sets it aside
    expect(existsSync(`${ctx.paths.checkpointFile}.corrupt`)).toBe(true);
    const r = checkState(ctx).find((x) => x.finding.includes('.corrupt'));
    expect(r).toMatchObject({ status: 'warn', fix: `Nothing to repair; look at it if you like, then remove it: rm ${ctx.paths.checkpointFile}.corrupt` });
    expect(r!.finding).toMatch(/^a corrupt checkpoint file was set aside as .*checkpoints\.json\.corrupt \(.* UTC\): the watched files were read again from their start/);
  });
});

describe('doctor: rules and config', () => {
  it('a user rule file with an error: fails naming the file, the rule and the field', () => {
    const h = home();
    const rulesDir = join(h.home, '.config', 'connwatch', 'rules.d');
    mkdirSync(rulesDir, { recursive: true });
    const bad = join(rulesDir, 'vpn.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ id: 'local.vpn-drop', title: 'VPN', severity: 'warning', conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'x' }] }, expect: { within: '30', conditions: { all: [] } }, message: 'm', remedy: 'r' }] }));
    const results = checkRules(doctorContext(realSystem(h.env())));
    const fails = results.filter((r) => r.status === 'fail');
    expect(fails.length).toBeGreaterThan(0);
    expect(fails[0]!.finding).toMatch(new RegExp(`^${bad.replace(/[/.]/g, '\\$&')}: rule "local.vpn-drop"`));
    expect(fails[0]!.fix).toMatch(/connwatch rules validate/);
    rmSync(bad);
    expect(checkRules(doctorContext(realSystem(h.env())))[0]).toMatchObject({ status: 'ok', finding: expect.stringMatching(/^\d+ rules from \d+ files load without errors$/) });
  });

  it('an invalid config: fails with the field and the hint', () => {
    const h = home();
    writeConfig(h, { sourcs: [] });
    const [r] = checkConfig(doctorContext(realSystem(h.env())));
    expect(r!.status).toBe('fail');
    expect(r!.finding).toMatch(/config\.json: "sourcs" is not a known setting/);
    writeConfig(h, '{"sources": [');
    expect(checkConfig(doctorContext(realSystem(h.env())))[0]!.finding).toMatch(/is not valid JSON/);
  });
});
