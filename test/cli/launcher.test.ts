/**
 * After `connwatch install` into a test HOME, `connwatch` is a command on the PATH that runs this
 * installation from any directory; `connwatch uninstall` removes it; a `connwatch` in ~/.local/bin
 * that install did not write is left alone.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { snapshot, systemctlCalls, tempHome, type TempHome } from '../install/home.js';

const homes: TempHome[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h.root, { recursive: true, force: true });
});

function sh(command: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the connwatch launcher', () => {
  it('install puts `connwatch` on the PATH; it runs from another directory; uninstall removes it', async () => {
    const h = tempHome();
    homes.push(h);
    const bin = join(h.home, '.local', 'bin');
    const env = h.env({ PATH: `${bin}:${h.stubDir}:/usr/bin:/bin` });
    const r = await runCli(['install'], { env });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(bin, 'connwatch')}`);
    expect(r.stdout).not.toMatch(/is not on PATH/);
    const elsewhere = join(h.root, 'elsewhere');
    mkdirSync(elsewhere);
    const v = await sh('command -v connwatch && connwatch --version && connwatch alerts', env, elsewhere);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`${join(bin, 'connwatch')}\n0.1.0\nNo alerts recorded.\n`);
    const u = await runCli(['uninstall'], { env });
    expect(u.code).toBe(0);
    expect(existsSync(join(bin, 'connwatch'))).toBe(false);
  });

  it('install says when ~/.local/bin is not on PATH', async () => {
    const h = tempHome();
    homes.push(h);
    const r = await runCli(['install'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\.local\/bin is not on PATH, so the command `connwatch` is not found yet/);
  });

  it('a connwatch in ~/.local/bin that install did not write (npm link) is kept', async () => {
    const h = tempHome();
    homes.push(h);
    const bin = join(h.home, '.local', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'connwatch'), '#!/bin/sh\necho mine\n', { mode: 0o755 });
    const r = await runCli(['install'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept ${join(bin, 'connwatch')}: not written by connwatch`);
    expect(readFileSync(join(bin, 'connwatch'), 'utf8')).toBe('#!/bin/sh\necho mine\n');
  });

  it('uninstall --dry-run lists what it would remove and run, and changes nothing', async () => {
    const h = tempHome();
    homes.push(h);
    expect((await runCli(['install'], { env: h.env() })).code).toBe(0);
    const before = snapshot(h.home);
    const calls = systemctlCalls(h).length;
    const r = await runCli(['uninstall', '--dry-run', '--purge'], { env: h.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`would remove ${join(h.home, '.local', 'bin', 'connwatch')}`);
    expect(r.stdout).toContain('would run: systemctl --user disable --now connwatch.service');
    expect(r.stdout).toMatch(/would remove .*\.local\/state\/connwatch \(alert history/);
    expect(snapshot(h.home)).toEqual(before);
    expect(systemctlCalls(h)).toHaveLength(calls);
  });
});
