/**
 * doctor: can a notification be shown? notify-send on PATH, a session bus, and a notification
 * server on it, against a real private D-Bus bus with and without a real notification server.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkNotifySend, checkNotifyServer, checkSessionBus } from '../../agent/doctor/notify.js';
import { realSystem } from '../../agent/doctor/system.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

const bin = mkdtempSync(join(tmpdir(), 'connwatch-doctor-bin-'));
const onlyDbusSend = join(bin, 'only-dbus-send');
let withServer: NotifyServer;
let bare: NotifyServer;

beforeAll(async () => {
  [withServer, bare] = await Promise.all([startNotifyServer(), startNotifyServer({ server: false })]);
  mkdirSync(onlyDbusSend);
  symlinkSync('/usr/bin/dbus-send', join(onlyDbusSend, 'dbus-send'));
});
afterAll(async () => {
  await withServer?.stop();
  await bare?.stop();
  rmSync(bin, { recursive: true, force: true });
});

const ctx = (env: NodeJS.ProcessEnv) => doctorContext(realSystem(env));
const noBus = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const env = { ...process.env, ...extra };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  delete env.XDG_RUNTIME_DIR;
  return { ...env, ...extra };
};

describe('doctor: notifications', () => {
  it('notify-send missing from PATH: fails with `sudo apt install libnotify-bin`', () => {
    const [r] = checkNotifySend(ctx({ ...process.env, PATH: bin }));
    expect(r).toEqual({ check: 'notify-send', status: 'fail', finding: `notify-send is not installed (not found on PATH ${bin}): no desktop notification can be shown`, fix: 'sudo apt install libnotify-bin' });
    expect(checkNotifySend(ctx({ ...process.env, PATH: '/usr/bin' }))[0]).toMatchObject({ status: 'ok', finding: 'notify-send is /usr/bin/notify-send' });
  });

  it('no session bus (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus): fails with how to import the environment', () => {
    const [r] = checkSessionBus(ctx(noBus()));
    expect(r!.status).toBe('fail');
    expect(r!.finding).toBe('No D-Bus session bus for desktop notifications: DBUS_SESSION_BUS_ADDRESS is not set and XDG_RUNTIME_DIR is not set either.');
    expect(r!.fix).toMatch(/systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS DISPLAY/);
    const empty = mkdtempSync(join(bin, 'runtime-'));
    expect(checkSessionBus(ctx(noBus({ XDG_RUNTIME_DIR: empty })))[0]!.finding).toMatch(new RegExp(`${empty}/bus is not a socket`));
    expect(checkSessionBus(ctx(noBus({ XDG_RUNTIME_DIR: withServer.runtimeDir })))[0]).toMatchObject({ status: 'ok', finding: expect.stringContaining('from XDG_RUNTIME_DIR') });
  });

  it('a bus with nobody owning org.freedesktop.Notifications: fails and says to start a notification daemon', async () => {
    const [r] = await checkNotifyServer(ctx(noBus({ DBUS_SESSION_BUS_ADDRESS: bare.address })));
    expect(r!.status).toBe('fail');
    expect(r!.finding).toBe(`no notification server on the session bus ${bare.address}: nobody owns org.freedesktop.Notifications, so notifications are lost`);
    expect(r!.fix).toMatch(/sudo apt install dunst/);
  });

  it('a real notification server: ok, through gdbus and through dbus-send alone', async () => {
    const env = noBus({ DBUS_SESSION_BUS_ADDRESS: withServer.address });
    expect((await checkNotifyServer(ctx(env)))[0]).toMatchObject({ status: 'ok', finding: `org.freedesktop.Notifications has an owner on ${withServer.address}` });
    expect((await checkNotifyServer(ctx({ ...env, PATH: onlyDbusSend })))[0]).toMatchObject({ status: 'ok' });
    expect((await checkNotifyServer(ctx({ ...noBus({ DBUS_SESSION_BUS_ADDRESS: bare.address }), PATH: onlyDbusSend })))[0]).toMatchObject({ status: 'fail' });
  });

  it('a bus address nobody listens on: fails saying the bus does not answer', async () => {
    const address = `unix:path=${join(bin, 'no-such-socket')}`;
    const [r] = await checkNotifyServer(ctx(noBus({ DBUS_SESSION_BUS_ADDRESS: address })));
    expect(r!.status).toBe('fail');
    expect(r!.finding).toMatch(new RegExp(`^the session bus ${address.replace(/[/.]/g, '\\$&')} does not answer`));
  });

  it('neither gdbus nor dbus-send: a warning that it cannot check', async () => {
    const [r] = await checkNotifyServer(ctx({ ...noBus({ DBUS_SESSION_BUS_ADDRESS: withServer.address }), PATH: bin }));
    expect(r).toMatchObject({ status: 'warn', finding: 'cannot ask the session bus for a notification server: neither gdbus nor dbus-send is installed' });
  });
});
