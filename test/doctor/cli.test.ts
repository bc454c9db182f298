/**
 * `connwatch doctor` as a process: exit 1 when a check fails (here: no notify-send on PATH and
 * no session bus), exit 0 when only warnings remain, and --json gives one object per check.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';
import { tempHome } from '../install/home.js';

const h = tempHome('connwatch-doctor-cli-');
let server: NotifyServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(h.root, { recursive: true, force: true });
});

describe('connwatch doctor', () => {
  it('exits 1 and prints the finding and the fix when a check fails', async () => {
    const r = await runCli(['doctor'], { env: h.env({ PATH: h.stubDir }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}notify-send +notify-send is not installed/m);
    expect(r.stdout).toMatch(/^ +fix: sudo apt install libnotify-bin$/m);
    expect(r.stdout).toMatch(/^FAIL {2}session-bus +No D-Bus session bus/m);
    expect(r.stdout).toMatch(/\d+ failed, \d+ warning\(s\), \d+ ok\n$/);
  });

  it('--json: one object per check; exit 0 once nothing fails', async () => {
    server = await startNotifyServer();
    const bin = join(h.root, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const p of ['notify-send', 'gdbus']) symlinkSync(`/usr/bin/${p}`, join(bin, p));
    const r = await runCli(['doctor', '--json'], { env: h.env({ PATH: `${h.stubDir}:${bin}`, ...server.env }) });
    const results = jsonLines(r.stdout);
    const fails = results.filter((x) => x.status === 'fail');
    // /var/log/auth.log or the journal may be unreadable or absent on some machines (and then sshd
    // is invisible: see:sshd); nothing else may fail
    expect(fails.filter((x) => x.check !== 'auth-log' && x.check !== 'journal' && x.check !== 'see:sshd')).toEqual([]);
    expect(r.code).toBe(fails.length ? 1 : 0);
    for (const x of results) {
      expect(['ok', 'warn', 'fail']).toContain(x.status);
      expect(typeof x.finding).toBe('string');
    }
    expect(results.find((x) => x.check === 'notify-server')).toMatchObject({ status: 'ok' });
    expect(results.map((x) => x.check)).toEqual(expect.arrayContaining(['config', 'auth-log', 'notify-send', 'session-bus', 'notify-server', 'service', 'graphical-session', 'inotify', 'checkpoints', 'rules']));
  });
});
