/**
 * `connwatch install` / `uninstall` as a real process in a temporary HOME, with a stand-in
 * `systemctl` on PATH that records what it is asked: what is written, what is run, what is never
 * overwritten, and that install followed by `uninstall --purge` leaves the HOME as it was.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { snapshot, systemctlCalls, tempHome, writeSystemctl, type TempHome } from './home.js';

const homes: TempHome[] = [];
function newHome(): TempHome {
  const h = tempHome();
  homes.push(h);
  return h;
}
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h.root, { recursive: true, force: true });
});

const unitPath = (h: TempHome) => join(h.home, '.config', 'systemd', 'user', 'connwatch.service');
const manifestPath = (h: TempHome) => join(h.home, '.local', 'state', 'connwatch', 'installed.json');

describe('connwatch install', () => {
  it('writes the unit, an empty config, the example and the manifest, then reloads and enables the service', async () => {
    const h = newHome();
    const r = await runCli(['install'], { env: h.env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(systemctlCalls(h)).toEqual(['--user daemon-reload', '--user enable --now connwatch.service']);
    const unit = readFileSync(unitPath(h), 'utf8');
    expect(unit.split('\n')[0]).toMatch(/connwatch-managed/);
    expect(unit).toMatch(/^ExecStart="\/.*node" --max-semi-space-size=1 "\/.*\/dist\/agent\/cli\/main\.js" run$/m);
    expect(unit).toContain(`ReadWritePaths="${join(h.home, '.local', 'state', 'connwatch')}"`);
    expect(readFileSync(join(h.home, '.config', 'connwatch', 'config.json'), 'utf8')).toBe('{}\n');
    // the place for the first own rule exists (the running agent reads it as it changes)
    expect(statSync(join(h.home, '.config', 'connwatch', 'rules.d')).isDirectory()).toBe(true);
    const example = JSON.parse(readFileSync(join(h.home, '.config', 'connwatch', 'config.example.json'), 'utf8')) as { sources: Array<{ path?: string }> };
    expect(example.sources.map((s) => s.path)).toContain('/var/log/auth.log');
    const manifest = JSON.parse(readFileSync(manifestPath(h), 'utf8')) as { files: Array<{ path: string; kind: string }> };
    expect(manifest.files.map((f) => f.kind).sort()).toEqual(['config', 'config-example', 'shim', 'unit']); // shim: the connwatch launcher (launcher.ts)
    expect(r.stdout).toMatch(/ran: systemctl --user enable --now connwatch.service/);
  });

  it('--dry-run prints the unit and the commands, and writes and runs nothing', async () => {
    const h = newHome();
    const before = snapshot(h.home);
    const r = await runCli(['install', '--dry-run', '--shims'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(snapshot(h.home)).toEqual(before);
    expect(systemctlCalls(h)).toEqual([]);
    expect(r.stdout).toMatch(/would write .*\.config\/systemd\/user\/connwatch\.service/);
    expect(r.stdout).toMatch(/^ {4}ExecStart=/m);
    expect(r.stdout).toMatch(/would write .*\.local\/bin\/plink/);
    expect(r.stdout).toContain('would run: systemctl --user daemon-reload');
    expect(r.stdout).toContain('would run: systemctl --user enable --now connwatch.service');
  });

  it('without a user manager prints what to run later and still exits 0', async () => {
    const h = newHome();
    writeSystemctl(h.stubDir, h.argvLog, { noManager: true });
    const r = await runCli(['install'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(existsSync(unitPath(h))).toBe(true);
    expect(r.stdout).toMatch(/user manager is not reachable here \(no user manager \(Failed to connect to bus: No medium found\)\)/);
    expect(r.stdout).toMatch(/^ {2}systemctl --user daemon-reload\n {2}systemctl --user enable --now connwatch\.service$/m);
  });

  it('with no systemctl at all says so and exits 0; with the real systemctl of this machine too', async () => {
    const h = newHome();
    const none = await runCli(['install'], { env: h.env({ PATH: '/nonexistent' }) });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/systemctl is not installed/);
    const real = await runCli(['install'], { env: h.env({ PATH: '/usr/bin:/bin' }) });
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/systemctl --user enable --now connwatch\.service/);
  });

  it('exits 1 when a file cannot be written, and enables nothing', async () => {
    const h = newHome();
    mkdirSync(join(h.home, '.config'));
    writeFileSync(join(h.home, '.config', 'systemd'), 'a file where a directory should be\n');
    const r = await runCli(['install'], { env: h.env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cannot write .*connwatch\.service/);
    expect(systemctlCalls(h)).toEqual([]);
  });

  it('never overwrites a file it did not write: the user’s own unit, config, and plink in ~/.local/bin', async () => {
    const h = newHome();
    mkdirSync(join(h.home, '.config', 'systemd', 'user'), { recursive: true });
    mkdirSync(join(h.home, '.config', 'connwatch'), { recursive: true });
    mkdirSync(join(h.home, '.local', 'bin'), { recursive: true });
    writeFileSync(unitPath(h), '[Service]\nExecStart=/bin/true\n');
    writeFileSync(join(h.home, '.config', 'connwatch', 'config.json'), '{"minSeverity":"error"}\n');
    writeFileSync(join(h.home, '.local', 'bin', 'plink'), '#!/bin/sh\necho my own plink\n');
    chmodSync(join(h.home, '.local', 'bin', 'plink'), 0o755);
    const before = snapshot(h.home);
    const r = await runCli(['install', '--shims'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kept .*connwatch\.service: not written by connwatch/);
    expect(r.stdout).toMatch(/kept .*\.local\/bin\/plink: not written by connwatch/);
    const after = snapshot(h.home);
    for (const f of ['.config/systemd/user/connwatch.service', '.config/connwatch/config.json', '.local/bin/plink']) expect(after[f]).toBe(before[f]);
    // and uninstall leaves them too
    const u = await runCli(['uninstall', '--purge'], { env: h.env() });
    expect(u.code).toBe(0);
    const left = snapshot(h.home);
    for (const f of ['.config/systemd/user/connwatch.service', '.config/connwatch/config.json', '.local/bin/plink']) expect(left[f]).toBe(before[f]);
  });

  it('installing twice updates its own files and keeps one it wrote but the user changed', async () => {
    const h = newHome();
    expect((await runCli(['install'], { env: h.env() })).code).toBe(0);
    const again = await runCli(['install'], { env: h.env() });
    expect(again.stdout).toMatch(/up to date: .*connwatch\.service/);
    writeFileSync(unitPath(h), `${readFileSync(unitPath(h), 'utf8')}# my tweak\n`);
    const third = await runCli(['install'], { env: h.env() });
    expect(third.stdout).toMatch(/kept .*connwatch\.service: changed since connwatch installed it/);
    expect(readFileSync(unitPath(h), 'utf8')).toMatch(/# my tweak\n$/);
  });
});

describe('connwatch uninstall', () => {
  it('install then uninstall --purge leaves the HOME exactly as it was, and stops the service first', async () => {
    const h = newHome();
    mkdirSync(join(h.home, '.config'), { recursive: true });
    writeFileSync(join(h.home, '.config', 'other-app.conf'), 'x=1\n');
    mkdirSync(join(h.home, '.local', 'bin'), { recursive: true });
    writeFileSync(join(h.home, '.local', 'bin', 'mytool'), '#!/bin/sh\n');
    const before = snapshot(h.home);
    expect((await runCli(['install', '--shims'], { env: h.env() })).code).toBe(0);
    expect(existsSync(join(h.home, '.local', 'bin', 'plink'))).toBe(true);
    // the agent would have written history meanwhile
    writeFileSync(join(h.home, '.local', 'state', 'connwatch', 'alerts.jsonl'), '{}\n');
    const r = await runCli(['uninstall', '--purge'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(snapshot(h.home)).toEqual(before);
    expect(systemctlCalls(h)).toEqual([
      '--user daemon-reload',
      '--user enable --now connwatch.service',
      '--user disable --now connwatch.service',
      '--user daemon-reload',
    ]);
  });

  it('without --purge keeps the configuration and the history, and a later --purge removes them', async () => {
    const h = newHome();
    await runCli(['install'], { env: h.env() });
    writeFileSync(join(h.home, '.local', 'state', 'connwatch', 'alerts.jsonl'), '{}\n');
    const r = await runCli(['uninstall'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(existsSync(unitPath(h))).toBe(false);
    expect(existsSync(join(h.home, '.config', 'connwatch', 'config.json'))).toBe(true);
    expect(existsSync(join(h.home, '.local', 'state', 'connwatch', 'alerts.jsonl'))).toBe(true);
    expect(r.stdout).toMatch(/Kept the configuration/);
    const p = await runCli(['uninstall', '--purge'], { env: h.env() });
    expect(p.code).toBe(0);
    expect(snapshot(h.home)).toEqual({});
  });

  it('keeps and reports a file changed since install', async () => {
    const h = newHome();
    await runCli(['install'], { env: h.env() });
    writeFileSync(unitPath(h), `${readFileSync(unitPath(h), 'utf8')}Environment=MINE=1\n`);
    const r = await runCli(['uninstall', '--purge'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kept .*connwatch\.service: changed since connwatch installed it/);
    expect(readFileSync(unitPath(h), 'utf8')).toMatch(/Environment=MINE=1/);
  });

  it('without a manifest removes only files that carry the connwatch header', async () => {
    const h = newHome();
    await runCli(['install', '--shims'], { env: h.env() });
    rmSync(manifestPath(h));
    writeFileSync(join(h.home, '.local', 'bin', 'rdesktop'), '#!/bin/sh\necho mine\n');
    const r = await runCli(['uninstall'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No install manifest/);
    expect(existsSync(unitPath(h))).toBe(false);
    expect(existsSync(join(h.home, '.local', 'bin', 'plink'))).toBe(false);
    expect(readFileSync(join(h.home, '.local', 'bin', 'rdesktop'), 'utf8')).toBe('#!/bin/sh\necho mine\n');
  });
});
