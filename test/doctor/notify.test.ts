/**
 * doctor: can a notification be shown? notify-send on PATH (0.8 or later, or a warning), a
 * session bus, and a notification server on it, against a real private D-Bus bus with and
 * without a real notification server.
 *
 * notify-send 0.7 is not installable next to Debian 12's 0.8, so it is played by a script that
 * prints what libnotify 0.7.9's notify-send prints for --help and --version (its GOption table,
 * tools/notify-send.c at tag 0.7.9: no --print-id, no --replace-id, no --action).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkNotifySend, checkNotifyServer, checkSessionBus } from '../../agent/doctor/notify.js';
import { realSystem } from '../../agent/doctor/system.js';
import { startNotifyServer, type NotifyServer } from '../helpers/notify-server.js';

const bin = mkdtempSync(join(tmpdir(), 'connwatch-doctor-bin-'));
const onlyDbusSend = join(bin, 'only-dbus-send');
const old = join(bin, 'notify-send-0.7');
const HELP_0_7_9 = `Usage:
  notify-send [OPTION…] <SUMMARY> [BODY] - create a notification

Help Options:
  -?, --help                        Show help options

Application Options:
  -u, --urgency=LEVEL               Specifies the urgency level (low, normal, critical).
  -t, --expire-time=TIME            Specifies the timeout in milliseconds at which to expire the notification.
  -a, --app-name=APP_NAME           Specifies the app name for the icon
  -i, --icon=ICON[,ICON...]         Specifies an icon filename or stock icon to display.
  -c, --category=TYPE[,TYPE...]     Specifies the notification category.
  -h, --hint=TYPE:NAME:VALUE        Specifies basic extra data to pass. Valid types are int, double, string and byte.
  -v, --version                     Version of the package.
`;
let withServer: NotifyServer;
let bare: NotifyServer;

beforeAll(async () => {
  [withServer, bare] = await Promise.all([startNotifyServer(), startNotifyServer({ server: false })]);
  mkdirSync(onlyDbusSend);
  symlinkSync('/usr/bin/dbus-send', join(onlyDbusSend, 'dbus-send'));
  mkdirSync(old);
  writeFileSync(join(old, 'notify-send'), `#!/bin/sh\ncase "$1" in\n  --help|-\\?) cat <<'EOF'\n${HELP_0_7_9}EOF\n    exit 0 ;;\n  --version|-v) echo "notify-send 0.7.9"; exit 0 ;;\nesac\nexit 0\n`);
  chmodSync(join(old, 'notify-send'), 0o755);
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
  it('notify-send missing from PATH: fails with `sudo apt install libnotify-bin`', async () => {
    const [r] = await checkNotifySend(ctx({ ...process.env, PATH: bin }));
    expect(r).toEqual({ check: 'notify-send', status: 'fail', finding: `notify-send is not installed (not found on PATH ${bin}): no desktop notification can be shown`, fix: 'sudo apt install libnotify-bin' });
  });

  it('the real notify-send 0.8 (--print-id, --replace-id): ok', async () => {
    expect(await checkNotifySend(ctx({ ...process.env, PATH: '/usr/bin' }))).toEqual([{ check: 'notify-send', status: 'ok', finding: 'notify-send is /usr/bin/notify-send' }]);
  });

  it('notify-send 0.7.9: a warning that updates cannot replace and no actions are offered, and what to do', async () => {
    const [r] = await checkNotifySend(ctx({ ...process.env, PATH: `${old}:/usr/bin` }));
    expect(r!.status).toBe('warn');
    expect(r!.finding).toBe(
      `${join(old, 'notify-send')} is notify-send 0.7.9 (before 0.8: no --print-id/--replace-id): a later line of the same attempt shows a second notification instead of updating the first, and the actions (show the log lines, silence for a day, stop the waiting client) are not offered`,
    );
    expect(r!.fix).toMatch(/^Upgrade to libnotify-bin 0\.8 or newer \(Debian 12 and Ubuntu 22\.04 ship it/);
    expect(r!.fix).toMatch(/without a restart/);
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
