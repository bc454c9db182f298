/**
 * A real freedesktop notification server on a private D-Bus session bus, for tests.
 *
 * It starts its own `dbus-daemon` (a minimal session config with no service directories, so no
 * installed notification daemon can be auto-activated behind the test's back), listening on
 * `<runtimeDir>/bus`, and on it Debian's python3-dbusmock with the `notification_daemon`
 * template (`/usr/bin/python3 -m dbusmock --template notification_daemon`). Every Notify call the
 * server receives is recorded by dbusmock and read back with
 * `org.freedesktop.DBus.Mock.GetMethodCalls('Notify')` through a small dbus-python script that
 * prints JSON, so the test sees exactly what went over the bus.
 *
 * Usage:
 *
 *   const server = await startNotifyServer();          // bus + notification server, ready
 *   // in-process code:     process.env.DBUS_SESSION_BUS_ADDRESS = server.address
 *   // a child process:     spawn(cmd, args, { env: { ...process.env, ...server.env } })
 *   // $XDG_RUNTIME_DIR/bus fallback: env { XDG_RUNTIME_DIR: server.runtimeDir } without the address
 *   const [call] = await server.waitForCalls(1);        // polls; default timeout 20 s
 *   call.summary; call.body; call.hints.urgency;       // 0 low, 1 normal, 2 critical
 *   await server.clear();                               // forget recorded calls
 *   await server.failNotify('org.example.Error', 'boom'); // Notify now answers with a D-Bus error
 *   await server.invokeAction(1, 'silence');            // a person clicks an action of notification 1
 *   server.arrivals();                                  // [{ at, summary }]: when each Notify call reached
 *                                                       // the bus, in ms (dbus-monitor's time=; dbusmock
 *                                                       // records whole seconds only), never cleared
 *   await server.stop();                                // in afterAll/afterEach; idempotent
 *
 *   const bus = await startNotifyServer({ server: false }); // a bus nobody serves notifications on
 *   await bus.startServer(); await bus.stopServer();        // the server can come and go
 *
 * Needs the Debian packages dbus-daemon (dbus), python3-dbusmock (brings python3-dbus), and for
 * the code under test libnotify-bin (notify-send). /usr/bin/python3 is used explicitly: a pyenv
 * or venv python on PATH does not see Debian's dist-packages.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectNotifyCalls } from '../../bench/notify-server.js';

const PYTHON = '/usr/bin/python3';
const DBUS_DAEMON = 'dbus-daemon';

/** A value of the hints dictionary, converted from D-Bus types (bytes and ints → number). */
export type HintValue = number | string | boolean | HintValue[] | { [key: string]: HintValue };

/** One org.freedesktop.Notifications.Notify call, as the server received it. */
export interface NotifyCall {
  /** dbusmock's record time (seconds). */
  time: number;
  appName: string;
  replacesId: number;
  appIcon: string;
  summary: string;
  body: string;
  actions: string[];
  /** e.g. { urgency: 1, category: 'network.error', 'sender-pid': 4242 } */
  hints: Record<string, HintValue>;
  /** Milliseconds; -1 server default, 0 never expires. */
  expireTimeout: number;
}

export interface NotifyServer {
  /** DBUS_SESSION_BUS_ADDRESS of the private bus. */
  readonly address: string;
  /** A private directory holding the bus socket as `bus`, as $XDG_RUNTIME_DIR does on a desktop. */
  readonly runtimeDir: string;
  /** Environment to give a child process so it talks to this bus. */
  readonly env: Record<string, string>;
  /** Starts the notification server (if not running) and waits until it owns its name. */
  startServer(): Promise<void>;
  /** Stops the notification server; the bus stays. Recorded calls are lost. */
  stopServer(): Promise<void>;
  calls(): Promise<NotifyCall[]>;
  /** Polls until at least n calls were recorded; rejects after timeoutMs with what was seen. */
  waitForCalls(n: number, timeoutMs?: number): Promise<NotifyCall[]>;
  clear(): Promise<void>;
  /** From now on Notify answers with this D-Bus error (calls are still recorded); stopServer/startServer restores it. */
  failNotify(errorName: string, message: string): Promise<void>;
  /**
   * A person chooses action `key` on notification `id` (the server emits ActionInvoked). dbusmock
   * numbers new notifications 1, 2, … from its start, so the n-th new Notify call has id n.
   */
  invokeAction(id: number, key: string): Promise<void>;
  /**
   * Every Notify call seen on the bus since the start, with the time (ms since the epoch, to the
   * microsecond) the bus routed it, timed by `dbus-monitor` (package dbus-bin); empty when
   * dbus-monitor is missing. Not cleared by clear() or a restart of the server.
   */
  arrivals(): Array<{ at: number; summary: string }>;
  stop(): Promise<void>;
}

/**
 * dbus-python helper: `calls` prints the recorded Notify calls as JSON, `clear` forgets them,
 * `owner` prints whether org.freedesktop.Notifications has an owner.
 */
const HELPER = String.raw`
import dbus, json, sys
bus = dbus.SessionBus()
cmd = sys.argv[1]
if cmd == 'owner':
    print(json.dumps(bool(bus.name_has_owner('org.freedesktop.Notifications'))))
    sys.exit(0)
obj = bus.get_object('org.freedesktop.Notifications', '/org/freedesktop/Notifications')
mock = dbus.Interface(obj, 'org.freedesktop.DBus.Mock')
def conv(v):
    if isinstance(v, dbus.Boolean): return bool(v)
    if isinstance(v, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64, int)): return int(v)
    if isinstance(v, (dbus.Double, float)): return float(v)
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature, str)): return str(v)
    if isinstance(v, (dbus.ByteArray, bytes)): return list(v)
    if isinstance(v, dict): return {str(k): conv(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [conv(x) for x in v]
    return repr(v)
if cmd == 'calls':
    out = []
    for t, args in mock.GetMethodCalls('Notify'):
        a = conv(args)
        out.append({'time': int(t), 'appName': a[0], 'replacesId': a[1], 'appIcon': a[2], 'summary': a[3],
                    'body': a[4], 'actions': a[5], 'hints': a[6], 'expireTimeout': a[7]})
    print(json.dumps(out))
elif cmd == 'clear':
    mock.ClearCalls()
    print('[]')
elif cmd == 'action':
    mock.EmitSignal('org.freedesktop.Notifications', 'ActionInvoked', 'us', [dbus.UInt32(int(sys.argv[2])), sys.argv[3]])
    print('[]')
elif cmd == 'fail':
    code = 'raise dbus.exceptions.DBusException(%r, name=%r)' % (sys.argv[3], sys.argv[2])
    mock.AddMethod('org.freedesktop.Notifications', 'Notify', 'susssasa{sv}i', 'u', code)
    print('[]')
`;

/** A session bus config that listens on one socket and activates nothing. */
function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:path=${socket}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function runHelper(address: string, cmd: 'calls' | 'clear' | 'owner' | 'fail' | 'action', ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-c', HELPER, cmd, ...args],
      { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`notify-server helper "${cmd}" failed: ${err.message}\n${stderr}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await done;
  clearTimeout(timer);
}

/** Starts dbus-daemon and resolves with the address it prints once it listens. */
function startBus(configFile: string): Promise<{ daemon: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const daemon = spawn(DBUS_DAEMON, ['--config-file', configFile, '--nofork', '--nopidfile', '--print-address'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    daemon.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ daemon, address: out.slice(0, nl).trim() });
    });
    daemon.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    daemon.once('error', (e) => reject(new Error(`cannot start ${DBUS_DAEMON} (install the dbus package): ${e.message}`, { cause: e })));
    daemon.once('exit', (code) => reject(new Error(`${DBUS_DAEMON} exited (${code}) before listening: ${err}`)));
  });
}

/**
 * dbus-monitor on the bus (its config allows eavesdropping), timing each Notify call as the bus
 * routes it: `method call time=SECONDS.MICROS … member=Notify`, then the call's strings
 * (app_name, app_icon, summary, body). No monitor when dbus-monitor is missing.
 */
async function watchNotify(address: string): Promise<{ monitor: ChildProcess | undefined; arrivals: Array<{ at: number; summary: string }> }> {
  const arrivals: Array<{ at: number; summary: string }> = [];
  const monitor = spawn('dbus-monitor', ['--address', address, "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], { stdio: ['ignore', 'pipe', 'ignore'] });
  const failed = await new Promise<boolean>((resolve) => {
    monitor.once('error', () => resolve(true));
    monitor.once('spawn', () => resolve(false));
  });
  if (failed) return { monitor: undefined, arrivals };
  collectNotifyCalls(monitor, arrivals);
  await sleep(300); // the monitor has registered its match rule
  return { monitor, arrivals };
}

export async function startNotifyServer(options: { server?: boolean; capabilities?: string[] } = {}): Promise<NotifyServer> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'connwatch-bus-'));
  const configFile = join(runtimeDir, 'session.conf');
  writeFileSync(configFile, busConfig(join(runtimeDir, 'bus')));
  const { daemon, address } = await startBus(configFile);
  let mock: ChildProcess | undefined;
  let stopped = false;
  const { monitor, arrivals } = await watchNotify(address);
  // A test process that dies must not leave daemons behind.
  const onExit = () => {
    mock?.kill('SIGKILL');
    monitor?.kill('SIGKILL');
    daemon.kill('SIGKILL');
  };
  process.once('exit', onExit);

  const server: NotifyServer = {
    address,
    runtimeDir,
    env: { DBUS_SESSION_BUS_ADDRESS: address },

    async startServer() {
      if (mock && mock.exitCode === null && mock.signalCode === null) return;
      const args = ['-m', 'dbusmock', '--session', '--template', 'notification_daemon'];
      if (options.capabilities) args.push('--parameters', JSON.stringify({ capabilities: options.capabilities.join(' ') }));
      const child = spawn(PYTHON, args, {
        env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      mock = child;
      let err = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      let spawnError: Error | undefined;
      child.once('error', (e) => (spawnError = e));
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (spawnError) throw new Error(`cannot start ${PYTHON}: ${spawnError.message}`, { cause: spawnError });
        if (child.exitCode !== null) {
          throw new Error(`dbusmock exited (${child.exitCode}) before owning org.freedesktop.Notifications ` +
            `(install python3-dbusmock): ${err}`);
        }
        if ((await runHelper(address, 'owner')).trim() === 'true') return;
        if (Date.now() > deadline) throw new Error(`dbusmock did not own org.freedesktop.Notifications within 30 s: ${err}`);
        await sleep(100);
      }
    },

    async stopServer() {
      await kill(mock);
      mock = undefined;
      // Wait until the bus has noticed, so a following notify-send sees "no server".
      const deadline = Date.now() + 10_000;
      while ((await runHelper(address, 'owner')).trim() === 'true' && Date.now() < deadline) await sleep(50);
    },

    async calls() {
      const parsed: unknown = JSON.parse(await runHelper(address, 'calls'));
      if (!Array.isArray(parsed)) throw new Error(`notify-server helper printed no list: ${JSON.stringify(parsed)}`);
      return parsed as NotifyCall[];
    },

    async waitForCalls(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = await server.calls();
        if (seen.length >= n) return seen;
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} Notify call(s) within ${timeoutMs} ms, got ${seen.length}: ${JSON.stringify(seen)}`);
        }
        await sleep(100);
      }
    },

    async clear() {
      await runHelper(address, 'clear');
    },

    async failNotify(errorName, message) {
      await runHelper(address, 'fail', errorName, message);
    },

    async invokeAction(id, key) {
      await runHelper(address, 'action', String(id), key);
    },

    arrivals: () => [...arrivals],

    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await kill(mock);
      await kill(monitor);
      await kill(daemon);
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };

  if (options.server !== false) {
    try {
      await server.startServer();
    } catch (e) {
      await server.stop();
      throw e;
    }
  }
  return server;
}
