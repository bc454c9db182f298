/**
 * `connwatch install` / `uninstall` on Windows and macOS (Linux's systemd user service stays in
 * install/install.ts): writes the platform's autostart definition, registers it, and records every
 * file in the same manifest (installed.json in the state directory) so uninstall removes exactly
 * that.
 *
 * Windows: %LOCALAPPDATA%\connwatch\connwatch-task.xml → `schtasks /create /tn connwatch /xml
 * FILE /f`; the Start-menu shortcut with our AppUserModelID → SnoreToast's own `-install
 * connwatch\connwatch.lnk NODE connwatch.agent` (the exe node-notifier ships). Uninstall:
 * `schtasks /delete /tn connwatch /f` and the two files.
 * macOS: ~/Library/LaunchAgents/connwatch.agent.plist → `launchctl bootout gui/UID/LABEL` (an
 * older copy, errors ignored) then `launchctl bootstrap gui/UID PLIST`. Uninstall: bootout and
 * the file.
 *
 * Programs run through execFile (System.run), never a shell.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, posix, win32 } from 'node:path';
import { AGENT_NODE_OPTIONS, currentHash, exampleConfig, mkdirs, readManifest, sha256, writeAtomic, writeManifest, type FileKind, type Manifest } from '../install/service.js';
import type { Paths } from '../config/paths.js';
import type { System } from '../doctor/system.js';
import { messageOf } from '../errors.js';
import { renderLaunchAgent, LABEL } from './launch-agent.js';
import { launchAgentPath } from './macos.js';
import { renderTaskXml, taskXmlBytes } from './task-xml.js';
import type { Platform } from './types.js';
import { APP_ID, plinkLogDir, SHORTCUT, shortcutPath, TASK_NAME } from './windows.js';
import { findRealPlink, plinkShimPath, renderPlinkCmd, shimDir } from './windows-shim.js';

export interface AutostartOptions {
  dryRun?: boolean;
  sys: System;
  out: (line: string) => void;
  node: string;
  /** dist/agent/cli/main.js */
  agent: string;
  /** SnoreToast (Windows); default: node-notifier's vendored x64 or x86 exe. */
  snoreToast?: string;
  /** Windows: also write the plink.cmd shim (windows-shim.ts). */
  shims?: boolean;
}

export interface Command {
  cmd: string;
  args: string[];
  /** Failure is expected sometimes (unloading what is not loaded). */
  optional?: boolean;
}

interface Planned {
  path: string;
  kind: FileKind;
  bytes: Buffer;
}

export function snoreToastPath(arch = process.arch): string {
  const root = dirname(createRequire(import.meta.url).resolve('node-notifier/package.json'));
  return win32.join(root, 'vendor', 'snoreToast', `snoretoast-x${arch === 'ia32' ? '86' : '64'}.exe`);
}

/** Windows: the task file and the commands that register the task and the shortcut. */
export function windowsPlan(p: Paths, o: AutostartOptions): { files: Planned[]; commands: Command[]; notes: string[] } {
  const env = o.sys.env;
  const xmlFile = win32.join(p.stateDir, 'connwatch-task.xml');
  const xml = renderTaskXml({
    userId: env.USERDOMAIN ? `${env.USERDOMAIN}\\${env.USERNAME ?? ''}` : env.USERNAME ?? '',
    node: o.node,
    nodeOptions: AGENT_NODE_OPTIONS,
    agent: o.agent,
    workDir: p.stateDir,
    conhost: win32.join(env.SystemRoot || env.SYSTEMROOT || 'C:\\Windows', 'System32', 'conhost.exe'),
  });
  const files: Planned[] = [{ path: xmlFile, kind: 'task', bytes: taskXmlBytes(xml) }];
  const notes: string[] = [];
  if (o.shims) {
    const real = findRealPlink(env, shimDir(p));
    if (real) files.push({ path: plinkShimPath(p), kind: 'shim', bytes: Buffer.from(renderPlinkCmd(real, o.node, o.agent), 'utf8') });
    else notes.push('shim for plink: no plink.exe found (on PATH, or Xming\\ or PuTTY\\ in Program Files), no shim written');
  }
  return {
    files,
    notes,
    commands: [
      { cmd: 'schtasks', args: ['/create', '/tn', TASK_NAME, '/xml', xmlFile, '/f'] },
      { cmd: o.snoreToast ?? snoreToastPath(), args: ['-install', SHORTCUT, o.node, APP_ID] },
    ],
  };
}

export function macosPlan(p: Paths, o: AutostartOptions): { files: Planned[]; commands: Command[]; notes: string[] } {
  const env = o.sys.env;
  const plist = launchAgentPath(env);
  const content = renderLaunchAgent({
    node: o.node,
    nodeOptions: AGENT_NODE_OPTIONS,
    agent: o.agent,
    workDir: p.stateDir,
    logDir: p.logDir,
    path: env.PATH && env.PATH.startsWith('/') ? env.PATH : '/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin',
  });
  const domain = `gui/${o.sys.uid}`;
  return {
    notes: o.shims ? ['--shims: on macOS run ssh and plink through `connwatch wrap` instead (no shims are written)'] : [],
    files: [{ path: plist, kind: 'launch-agent', bytes: Buffer.from(content, 'utf8') }],
    commands: [
      { cmd: 'launchctl', args: ['bootout', `${domain}/${LABEL}`], optional: true },
      { cmd: 'launchctl', args: ['bootstrap', domain, plist] },
    ],
  };
}

function show(c: Command): string {
  return [c.cmd, ...c.args].map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

export async function installAutostart(plat: Platform, o: AutostartOptions): Promise<number> {
  const p = plat.paths(o.sys.env);
  const join = plat.id === 'windows' ? win32.join : posix.join;
  const manifestFile = join(p.stateDir, 'installed.json');
  const plan = plat.id === 'windows' ? windowsPlan(p, o) : macosPlan(p, o);
  const files: Planned[] = [...plan.files];
  if (!existsSync(p.configFile)) files.push({ path: p.configFile, kind: 'config', bytes: Buffer.from('{}\n') });
  files.push({ path: join(p.configDir, 'config.example.json'), kind: 'config-example', bytes: Buffer.from(exampleConfig(p)) });
  const dirs = [p.stateDir, p.logDir, p.captureDir, ...(plat.id === 'windows' ? [plinkLogDir(p)] : [])];

  if (o.dryRun) {
    o.out(`connwatch install --dry-run (${plat.label}): nothing is written or run.`);
    for (const d of dirs) o.out(`would create ${d}`);
    for (const f of files) {
      o.out(`would write ${f.path}:`);
      const text = f.kind === 'task' ? f.bytes.subarray(2).toString('utf16le') : f.bytes.toString('utf8');
      for (const l of text.replace(/\r?\n$/, '').split(/\r?\n/)) o.out(`    ${l}`);
    }
    for (const c of plan.commands) o.out(`would run: ${show(c)}`);
    for (const n of plan.notes) o.out(n);
    return 0;
  }

  const m: Manifest = readManifest(manifestFile) ?? { version: 1, updatedAt: '', files: [], dirs: [] };
  const record = (created: string[]) => {
    for (const d of created) if (!m.dirs.includes(d)) m.dirs.push(d);
  };
  let failed = false;
  try {
    for (const d of dirs) record(mkdirs(d));
  } catch (err) {
    failed = true;
    o.out(`cannot create ${p.stateDir}: ${messageOf(err)}`);
  }
  for (const f of files) {
    const now = currentHash(f.path);
    const recorded = m.files.find((e) => e.path === f.path);
    if (now !== undefined && now !== sha256(f.bytes) && (!recorded || recorded.sha256 !== now)) {
      o.out(`kept ${f.path}: ${recorded ? 'changed since connwatch installed it; remove it to let install rewrite it' : f.kind === 'config' ? 'your configuration' : 'not written by connwatch'}`);
      continue;
    }
    try {
      record(mkdirs(dirname(f.path)));
      writeAtomic(f.path, f.bytes, 0o644);
      m.files = m.files.filter((e) => e.path !== f.path).concat({ path: f.path, kind: f.kind, sha256: sha256(f.bytes) });
      o.out(`wrote ${f.path}`);
    } catch (err) {
      failed = true;
      o.out(`cannot write ${f.path}: ${messageOf(err)}`);
    }
  }
  if (failed) {
    writeManifestSafe(manifestFile, m, o.out);
    o.out('Some files could not be written (see above); the agent was not registered to start.');
    return 1;
  }
  const lnk = shortcutPath(o.sys.env);
  const lnkDirExisted = existsSync(win32.dirname(lnk));
  const ok = await runAll(o.sys, plan.commands, o.out);
  if (plat.id === 'windows') {
    const h = currentHash(lnk);
    if (h) {
      m.files = m.files.filter((e) => e.path !== lnk).concat({ path: lnk, kind: 'shortcut', sha256: h });
      if (!lnkDirExisted) record([win32.dirname(lnk)]);
    } else o.out(`the Start-menu shortcut ${lnk} was not created: toasts will show as "SnoreToast" or not at all (see connwatch doctor)`);
  }
  writeManifestSafe(manifestFile, m, o.out);
  if (!ok) return 1;
  for (const n of plan.notes) o.out(n);
  if (plat.id === 'windows' && files.some((f) => f.kind === 'shim')) {
    o.out(`plink through connwatch: ${plinkShimPath(p)} (XLaunch: "Run Local" with that path first, see docs/install.md)`);
  }
  if (plat.id === 'windows') {
    o.out(`To let connwatch see plink, add to plink's command line (XLaunch: "Additional parameters for PuTTY or SSH"):`);
    o.out(`    -sshlog "${win32.join(plinkLogDir(p), '&H-&Y&M&D-&T.log')}" -logappend`);
    o.out(`or, in PuTTY, set Session → Logging to "SSH packets" with that file name, and save the session.`);
  }
  o.out(`connwatch starts with your session from now on (${plat.autostart}). Check with: connwatch doctor`);
  return 0;
}

function writeManifestSafe(file: string, m: Manifest, out: (l: string) => void): void {
  try {
    m.updatedAt = new Date().toISOString();
    writeManifest(file, m);
  } catch (err) {
    out(`cannot write the install manifest ${file}: ${messageOf(err)}`);
  }
}

async function runAll(sys: System, commands: Command[], out: (l: string) => void): Promise<boolean> {
  for (const c of commands) {
    const r = await sys.run(c.cmd, c.args, { timeoutMs: 30_000 });
    if (r.code === 0) {
      out(`ran: ${show(c)}`);
      continue;
    }
    if (c.optional) continue;
    const why = r.error === 'ENOENT' ? `${c.cmd} was not found` : r.error ? r.error : `exit ${r.code}: ${(r.stderr || r.stdout).trim().split(/\r?\n/)[0] ?? ''}`;
    out(`${show(c)} failed (${why}). Fix that, then run connwatch install again.`);
    return false;
  }
  return true;
}

/** What uninstall runs before removing files: unregister the task / unload the agent. */
export function stopCommands(plat: Platform, sys: System, manifest: Manifest): Command[] {
  if (plat.id === 'windows' && manifest.files.some((f) => f.kind === 'task')) return [{ cmd: 'schtasks', args: ['/delete', '/tn', TASK_NAME, '/f'] }];
  if (plat.id === 'macos' && manifest.files.some((f) => f.kind === 'launch-agent')) return [{ cmd: 'launchctl', args: ['bootout', `gui/${sys.uid}/${LABEL}`] }];
  return [];
}

export async function stopAutostart(plat: Platform, sys: System, manifest: Manifest, out: (l: string) => void): Promise<boolean> {
  return runAll(sys, stopCommands(plat, sys, manifest), out);
}
