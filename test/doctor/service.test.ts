/**
 * doctor: is the service enabled, and does the session reach graphical-session.target? With a
 * stand-in systemctl answering as systemd does, and with this machine's real systemctl, which
 * has no user manager to talk to.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkGraphicalSession, checkServiceEnabled } from '../../agent/doctor/service.js';
import { realSystem } from '../../agent/doctor/system.js';
import { runCli } from '../helpers/cli.js';
import { systemctlCalls, tempHome, writeSystemctl, type TempHome } from '../install/home.js';

const homes: TempHome[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h.root, { recursive: true, force: true });
});
function withSystemctl(answers: Record<string, { stdout: string; code: number }>): TempHome {
  const h = tempHome('connwatch-doctor-svc-');
  homes.push(h);
  writeSystemctl(h.stubDir, h.argvLog, { answers });
  return h;
}

describe('doctor: service', () => {
  it('not enabled: a warning with `connwatch install` as the fix', async () => {
    const h = withSystemctl({ 'is-enabled connwatch.service': { stdout: 'disabled', code: 1 } });
    const [r] = await checkServiceEnabled(doctorContext(realSystem(h.env())));
    expect(r).toEqual({
      check: 'service',
      status: 'warn',
      finding: 'connwatch.service is not enabled (disabled): the agent does not start with your session',
      fix: 'connwatch install (or, if the unit is installed: systemctl --user enable --now connwatch.service)',
    });
    expect(systemctlCalls(h)).toEqual(['--user is-enabled connwatch.service']);
  });

  it('enabled: ok', async () => {
    const h = withSystemctl({ 'is-enabled connwatch.service': { stdout: 'enabled', code: 0 } });
    expect((await checkServiceEnabled(doctorContext(realSystem(h.env()))))[0]).toMatchObject({ status: 'ok', finding: 'connwatch.service is enabled' });
  });

  it('with this machine’s real systemctl (no user manager; it reads unit files itself): not-found, then disabled once installed', async () => {
    const h = tempHome('connwatch-doctor-svc-');
    homes.push(h);
    const env = h.env({ PATH: '/usr/bin:/bin' });
    expect((await checkServiceEnabled(doctorContext(realSystem(env))))[0]!.finding).toBe('connwatch.service is not enabled (not-found): the agent does not start with your session');
    const r = await runCli(['install'], { env });
    expect(r.code).toBe(0);
    expect((await checkServiceEnabled(doctorContext(realSystem(env))))[0]!.finding).toBe('connwatch.service is not enabled (disabled): the agent does not start with your session');
  });

  it('no user manager at all: unknown, said as such', async () => {
    const h = tempHome('connwatch-doctor-svc-');
    homes.push(h);
    writeSystemctl(h.stubDir, h.argvLog, { noManager: true });
    const [r] = await checkServiceEnabled(doctorContext(realSystem(h.env())));
    expect(r).toMatchObject({ status: 'warn', finding: 'service state unknown: no user manager (Failed to connect to bus: No medium found)' });
  });
});

describe('doctor: graphical-session.target', () => {
  it('never reached: a warning explaining why the service does not start, with add-wants as the fix', async () => {
    const h = withSystemctl({ 'is-active graphical-session.target': { stdout: 'inactive', code: 3 } });
    const [r] = await checkGraphicalSession(doctorContext(realSystem(h.env())));
    expect(r!.status).toBe('warn');
    expect(r!.finding).toBe('graphical-session.target is inactive: this session never reached it, so the service (WantedBy=graphical-session.target) does not start by itself');
    expect(r!.fix).toMatch(/^Start it with your login instead: systemctl --user add-wants default.target connwatch.service/);
    expect(systemctlCalls(h)).toEqual(['--user is-active graphical-session.target']);
  });

  it('active: ok; with this machine’s real systemctl (no user manager): unknown', async () => {
    const h = withSystemctl({ 'is-active graphical-session.target': { stdout: 'active', code: 0 } });
    expect((await checkGraphicalSession(doctorContext(realSystem(h.env()))))[0]).toMatchObject({ status: 'ok' });
    const [r] = await checkGraphicalSession(doctorContext(realSystem(h.env({ PATH: '/usr/bin:/bin' }))));
    expect(r!.finding).toMatch(/^whether graphical-session.target is reached is unknown: no user manager \(Failed to connect to bus/);
  });
});
