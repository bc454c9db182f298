/**
 * The freedesktop notification calls connwatch needs on Linux, through notify-send 0.8
 * (libnotify-bin), run with execFile (never a shell):
 *
 *   - show a notification and learn its id (`--print-id`);
 *   - update a notification already on screen (`--replace-id=ID`): one notification per failed
 *     attempt, kept true as the attempt's story grows (the server's line, a repeat, a higher
 *     severity), instead of a second one;
 *   - offer actions (`--action=KEY=Label`): notify-send then waits until the notification is
 *     closed or an action is invoked, and prints the action's key. Its standard output is a pipe,
 *     so it runs under `stdbuf -oL` (coreutils) for the id to arrive at once, not at its exit;
 *   - ask the server what it supports (GetCapabilities through `dbus-send`, from the dbus package
 *     that every D-Bus session has): body markup is escaped only where the server interprets it
 *     (elsewhere `&lt;` would be shown as such), actions are offered only where it shows them.
 *
 * Why notify-send and not node-notifier here: node-notifier 10's NotifySend passes urgency,
 * expire time, icon, category, one hint and the app name, and nothing else: no replaces_id, no
 * actions, no id back. notify-send 0.8 (Debian 12, Ubuntu 22.04+, Fedora 36+) has all three.
 * node-notifier stays the backend where notify-send is older (0.7 lacks --print-id) and on the
 * other platforms. A pure-JS D-Bus client (dbus-next) would do the same without a process per
 * call, but it has had no release since 2021; notify-send is what the desktop itself ships.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { DesktopNotification } from './desktop-format.js';
import { escapeMarkup } from './escape.js';

export const APP_NAME = 'connwatch';

/** What notify-send needs to reach the bus: PATH to find it, the bus address. */
export interface BusEnv {
  PATH: string | undefined;
  DBUS_SESSION_BUS_ADDRESS: string;
}

export interface ShowRequest {
  notification: DesktopNotification;
  /** The id of the notification this one replaces (0 or undefined: a new one). */
  replaceId?: number;
  /** [key, label] pairs; only sent when the server has the "actions" capability. */
  actions?: Array<[string, string]>;
  /** Escape body markup: the server interprets it (capability "body-markup"). */
  markup: boolean;
}

export type ShowResult =
  | { ok: true; id: number; waiter?: ChildProcess }
  | { ok: false; error: Error & { code?: unknown; cmd?: string } };

function childEnv(env: BusEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS };
  if (env.PATH === undefined) delete out.PATH;
  else out.PATH = env.PATH;
  return out;
}

/**
 * The body as notify-send's argument: markup escaped where the server reads markup, and every
 * backslash doubled, because notify-send runs the body through g_strcompress (\n, \t, \\, \NNN).
 */
export function bodyArg(visible: string, markup: boolean): string {
  return (markup ? escapeMarkup(visible) : visible).replace(/\\/g, '\\\\');
}

export function notifySendArgs(req: ShowRequest): string[] {
  const n = req.notification;
  const args = [
    '--print-id',
    `--app-name=${APP_NAME}`,
    `--urgency=${n.urgency}`,
    `--expire-time=${n.expireSeconds * 1000}`,
    `--icon=${n.icon}`,
    `--category=${n.category}`,
  ];
  if (req.replaceId) args.push(`--replace-id=${req.replaceId}`);
  for (const [key, label] of req.actions ?? []) args.push(`--action=${key}=${label}`);
  // "--" ends the options: a summary or body can never be read as one
  args.push('--', n.summary, bodyArg(n.body, req.markup));
  return args;
}

/** notify-send is 0.8 or later: it has --print-id and --replace-id. Asked once per PATH. */
const fullCache = new Map<string, Promise<boolean>>();
export function notifySendIsFull(path: string | undefined): Promise<boolean> {
  const key = path ?? '';
  let p = fullCache.get(key);
  if (!p) {
    p = new Promise((resolve) => {
      execFile('notify-send', ['--help'], { env: { ...process.env, PATH: path }, timeout: 5000 }, (err, stdout) => {
        resolve(!err && stdout.includes('--replace-id') && stdout.includes('--print-id'));
      });
    });
    fullCache.set(key, p);
    // a missing notify-send may be installed later: ask again next time
    void p.then((full) => {
      if (!full) fullCache.delete(key);
    });
  }
  return p;
}

/** The server's capabilities, or undefined when they cannot be asked (no dbus-send, no server). */
export function serverCapabilities(env: BusEnv): Promise<Set<string> | undefined> {
  return new Promise((resolve) => {
    execFile(
      'dbus-send',
      ['--session', '--print-reply', '--reply-timeout=5000', '--dest=org.freedesktop.Notifications', '/org/freedesktop/Notifications', 'org.freedesktop.Notifications.GetCapabilities'],
      { env: childEnv(env), timeout: 7000 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        resolve(new Set([...stdout.matchAll(/^\s*string "([^"]*)"/gm)].map((m) => m[1]!)));
      },
    );
  });
}

/** A notify-send that timed out (a hung server) is ended after this long, as D-Bus's own reply timeout. */
const SHOW_TIMEOUT_MS = 25_000;

/**
 * Shows (or replaces) one notification. Without actions notify-send exits once the server
 * answered; with actions it stays to wait for one, and onAction hears the key when a person
 * chooses it (the waiter ends when the notification closes). The caller owns the waiter.
 */
export function showWithNotifySend(req: ShowRequest, env: BusEnv, onAction?: (key: string) => void): Promise<ShowResult> {
  const args = notifySendArgs(req);
  const waits = (req.actions?.length ?? 0) > 0;
  if (!waits) {
    return new Promise((resolve) => {
      execFile('notify-send', args, { env: childEnv(env), timeout: SHOW_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err) {
          // the command line holds alert text: the message keeps notify-send's stderr only
          const e = new Error(`Command failed: notify-send\n${String(stderr).trim()}`) as Error & { code?: unknown; cmd?: string };
          e.code = (err as { code?: unknown }).code;
          e.cmd = 'notify-send';
          return resolve({ ok: false, error: e });
        }
        resolve({ ok: true, id: Number.parseInt(String(stdout), 10) || 0 });
      });
    });
  }
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn('stdbuf', ['-oL', 'notify-send', ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ ok: false, error: err as Error });
      return;
    }
    let out = '';
    let errText = '';
    let id: number | undefined;
    const timer = setTimeout(() => {
      if (id === undefined) child.kill('SIGTERM');
    }, SHOW_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (id === undefined) {
          id = Number.parseInt(line, 10) || 0;
          clearTimeout(timer);
          resolve({ ok: true, id, waiter: child });
        } else if (line) onAction?.(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errText += chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, error: Object.assign(err, { code: (err as { code?: unknown }).code === 'ENOENT' ? 127 : (err as { code?: unknown }).code }) });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (id !== undefined) return;
      const e = new Error(`Command failed: notify-send\n${errText.trim()}`) as Error & { code?: unknown; cmd?: string };
      e.code = code;
      e.cmd = 'notify-send';
      resolve({ ok: false, error: e });
    });
  });
}
