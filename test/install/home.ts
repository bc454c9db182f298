/**
 * Test helpers for install/uninstall/status: a temporary HOME, a stand-in `systemctl` that
 * records its argv (one line per call) and answers as told, and a snapshot of a directory tree
 * (path → mode and content hash) to prove that nothing was left behind or overwritten.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempHome {
  root: string;
  home: string;
  stubDir: string;
  argvLog: string;
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/**
 * A stand-in systemctl: prints `stdout`, exits with `code`; with `noManager` it answers as
 * systemctl does without a user manager ("Failed to connect to bus: No medium found", exit 1).
 * Per-verb answers: `answers['is-active graphical-session.target'] = { stdout: 'inactive', code: 3 }`.
 */
export function writeSystemctl(dir: string, argvLog: string, behaviour: { noManager?: boolean; answers?: Record<string, { stdout: string; code: number }> } = {}): void {
  mkdirSync(dir, { recursive: true });
  const cases = Object.entries(behaviour.answers ?? {})
    .map(([args, a]) => `  "--user ${args}") printf '%s\\n' '${a.stdout}'; exit ${a.code} ;;`)
    .join('\n');
  const body = behaviour.noManager
    ? `echo 'Failed to connect to bus: No medium found' >&2\nexit 1`
    : `case "$*" in\n${cases}\n  *) exit 0 ;;\nesac`;
  writeFileSync(join(dir, 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\n${body}\n`);
  chmodSync(join(dir, 'systemctl'), 0o755);
}

export function tempHome(prefix = 'connwatch-install-'): TempHome {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, 'home');
  const stubDir = join(root, 'stub');
  mkdirSync(home);
  const argvLog = join(root, 'systemctl.argv');
  writeSystemctl(stubDir, argvLog);
  return {
    root,
    home,
    stubDir,
    argvLog,
    env: (extra = {}) => {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: `${stubDir}:/usr/bin:/bin`, ...extra };
      for (const k of ['XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS', 'JOURNAL_STREAM']) if (!(k in extra)) delete env[k];
      return env;
    },
  };
}

export function systemctlCalls(h: TempHome): string[] {
  return existsSync(h.argvLog) ? readFileSync(h.argvLog, 'utf8').split('\n').filter(Boolean) : [];
}

/** path (relative) → "d mode" or "f mode sha256", for every entry under dir. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[r] = `d ${(st.mode & 0o7777).toString(8)}`;
        walk(p, r);
      } else out[r] = `f ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}
