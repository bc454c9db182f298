/**
 * A real freedesktop notification server for the latency benchmark, the same approach as the
 * tests' helper (test/helpers/notify-server.ts, which bench code cannot import once built): a
 * private `dbus-daemon` that activates nothing, and Debian's python3-dbusmock with the
 * `notification_daemon` template on it. dbusmock records Notify calls with whole seconds only
 * (int(time.time()) in dbusmock 0.x), too coarse for latency, so `dbus-monitor` watches the bus
 * (the config allows eavesdropping) and each Notify method call is timed by the bus as it is
 * routed to the server (`time=SECONDS.MICROS` in dbus-monitor's output): the arrival time is the
 * bus's, not ours. `calls()` returns those, with the summary the call carried.
 *
 * Needs the Debian packages dbus (dbus-daemon) and python3-dbusmock; /usr/bin/python3 is used
 * explicitly because a pyenv or venv python does not see Debian's dist-packages.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';

export interface Call {
  /** Arrival at the server's bus, ms since the epoch. */
  at: number;
  summary: string;
}

export interface BenchNotifyServer {
  address: string;
  calls(): Promise<Call[]>;
  stop(): Promise<void>;
}

const HELPER = String.raw`
import dbus, json, sys
bus = dbus.SessionBus()
if sys.argv[1] == 'owner':
    print(json.dumps(bool(bus.name_has_owner('org.freedesktop.Notifications'))))
    sys.exit(0)
`;

function helper(address: string, cmd: 'owner'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', HELPER, cmd], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, timeout: 60_000, maxBuffer: 64 << 20 }, (err, out, stderr) =>
      err ? reject(new Error(`bench notify helper "${cmd}" failed: ${err.message}\n${stderr}`, { cause: err })) : resolve(out),
    );
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startBenchNotifyServer(): Promise<BenchNotifyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-bench-bus-'));
  const conf = join(dir, 'session.conf');
  writeFileSync(
    conf,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><keep_umask/><listen>unix:path=${join(dir, 'bus')}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
`,
  );
  const daemon = spawn('dbus-daemon', ['--config-file', conf, '--nofork', '--nopidfile', '--print-address'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    daemon.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('\n')) resolve(out.split('\n')[0]!.trim());
    });
    daemon.once('error', (e) => reject(new Error(`cannot start dbus-daemon (install the dbus package): ${e.message}`, { cause: e })));
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}) before listening`)));
  });
  const mock = spawn(PYTHON, ['-m', 'dbusmock', '--session', '--template', 'notification_daemon'], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const cleanup = async () => {
    await stopChild(mock);
    await stopChild(daemon);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while ((await helper(address, 'owner')).trim() !== 'true') {
    if (mock.exitCode !== null || Date.now() > deadline) {
      await cleanup();
      throw new Error('dbusmock did not own org.freedesktop.Notifications (install python3-dbusmock)');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const monitor = spawn('dbus-monitor', ['--address', address, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const calls: Call[] = [];
  collectNotifyCalls(monitor, calls);
  await new Promise((r) => setTimeout(r, 300)); // the monitor has registered its match rule
  return {
    address,
    calls: async () => [...calls],
    stop: async () => {
      await stopChild(monitor);
      await cleanup();
    },
  };
}

/**
 * Reads dbus-monitor's output (a monitor of Notify method calls): each `method call
 * time=SECONDS.MICROS … member=Notify` and the call's third string (app_name, app_icon, summary)
 * become one call, timed as the bus routed it. Shared with the tests' notification server.
 */
export function collectNotifyCalls(monitor: ChildProcess, calls: Call[]): void {
  let pending: number | undefined;
  let strings = 0;
  let rest = '';
  monitor.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const head = /^method call time=(\d+)\.(\d+) .*member=Notify/.exec(line);
      if (head) {
        pending = Number(head[1]) * 1000 + Number(head[2]!.padEnd(6, '0').slice(0, 6)) / 1000;
        strings = 0;
        continue;
      }
      const str = /^\s+string "(.*)"$/.exec(line);
      if (str && pending !== undefined && ++strings === 3) {
        calls.push({ at: pending, summary: str[1]! });
        pending = undefined;
      }
    }
  });
}
