/**
 * What `connwatch install [--dry-run] [--shims]` does (cli/install.ts parses its options): installs
 * the agent as a systemd user service (Linux; Windows and macOS: platform/autostart.ts).
 *
 * Writes ~/.config/systemd/user/connwatch.service (rendered from install/connwatch.service with
 * the absolute paths of node and of this package's dist/agent/cli/main.js), creates the state
 * directory the unit may write, writes ~/.config/connwatch/config.json (`{}`) and
 * config.example.json when there is no config, and with --shims one wrapper per installed
 * client in ~/.local/bin. Every file written is recorded in the manifest
 * (~/.local/state/connwatch/installed.json). Then `systemctl --user daemon-reload` and
 * `systemctl --user enable --now connwatch.service` (execFile, never a shell). Without a user
 * manager it prints what to run later. The exit code is 1 only when a file could not be written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { paths } from '../config/paths.js';
import { platform, type Platform } from '../platform/index.js';
import { installAutostart } from '../platform/autostart.js';
import { ConnwatchError, messageOf } from '../errors.js';
import { realSystem, type System } from '../doctor/system.js';
import { UNIT_NAME, userCtl } from '../doctor/systemctl.js';
import { launcherNotes, launcherPath, renderLauncher } from './launcher.js';
import {
  currentHash,
  exampleConfig,
  installPlaces,
  isOurs,
  mkdirs,
  packageRoot,
  readManifest,
  realProgram,
  renderShim,
  renderUnit,
  sha256,
  SHIM_PROGRAMS,
  templatePath,
  writeAtomic,
  writeManifest,
  type FileKind,
  type Manifest,
  type ShimName,
} from './service.js';

export interface InstallOptions {
  dryRun?: boolean;
  shims?: boolean;
  sys?: System;
  out?: (line: string) => void;
  /** Defaults: process.execPath and this package's root. */
  node?: string;
  root?: string;
  /** Default: the platform of this process (platform/index.ts). */
  platform?: Platform;
  /** Windows: the SnoreToast exe that creates the Start-menu shortcut (tests). */
  snoreToast?: string;
}

interface PlannedFile {
  path: string;
  kind: FileKind;
  content: string;
  mode: number;
  /** 'write' (new), 'update' (ours, unchanged since install), or why it is left alone. */
  action: 'write' | 'update' | 'same' | 'keep';
  why?: string;
}

export const ENABLE_COMMANDS: ReadonlyArray<readonly string[]> = [
  ['daemon-reload'],
  ['enable', '--now', UNIT_NAME],
];

/** What to do with `path`: never overwrite a file install did not write or one changed since. */
function decide(path: string, kind: FileKind, content: string, manifest: Manifest | undefined): Pick<PlannedFile, 'action' | 'why'> {
  const now = currentHash(path);
  if (now === undefined) return existsSync(path) ? { action: 'keep', why: 'exists but cannot be read' } : { action: 'write' };
  if (now === sha256(content)) return { action: 'same' };
  const recorded = manifest?.files.find((f) => f.path === path);
  const marked = kind === 'unit' || kind === 'shim' ? isOurs(path) : false;
  if (recorded && recorded.sha256 !== now) return { action: 'keep', why: 'changed since connwatch installed it; remove it to let install rewrite it' };
  if (kind === 'config') return { action: 'keep', why: 'your configuration' };
  if (recorded || marked) return { action: 'update' };
  return { action: 'keep', why: 'not written by connwatch' };
}

export async function install(o: InstallOptions = {}): Promise<number> {
  const sys = o.sys ?? realSystem();
  const out = o.out ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const p = paths(sys.env);
  const places = installPlaces(p, sys.env);
  const root = o.root ?? packageRoot();
  const node = o.node ?? process.execPath;
  const agent = join(root, 'dist', 'agent', 'cli', 'main.js');
  if (!existsSync(agent)) {
    throw new ConnwatchError('INSTALL_FAILED', `the agent ${agent} does not exist`, { hint: `Build it first: cd ${root} && npm run build` });
  }
  const plat = o.platform ?? platform();
  if (plat.id !== 'linux') {
    return installAutostart(plat, { sys, out, node, agent, ...(o.dryRun ? { dryRun: true } : {}), ...(o.snoreToast ? { snoreToast: o.snoreToast } : {}), ...(o.shims ? { shims: true } : {}) });
  }
  let template: string;
  try {
    template = readFileSync(templatePath(root), 'utf8');
  } catch (err) {
    throw new ConnwatchError('INSTALL_FAILED', `cannot read the unit template ${templatePath(root)}: ${messageOf(err)}`, { hint: 'Reinstall connwatch.', cause: err });
  }
  const environment: Record<string, string> = {};
  for (const k of ['XDG_CONFIG_HOME', 'XDG_STATE_HOME'] as const) {
    const v = sys.env[k];
    if (v && v.startsWith('/')) environment[k] = v;
  }
  const unit = renderUnit(template, { node, agent, stateDir: p.stateDir, docs: join(root, 'docs', 'install.md'), environment });
  const manifest = readManifest(places.manifestFile);

  const plan: PlannedFile[] = [];
  const add = (path: string, kind: FileKind, content: string, mode: number) => plan.push({ path, kind, content, mode, ...decide(path, kind, content, manifest) });
  add(places.unitFile, 'unit', unit, 0o644);
  if (!existsSync(p.configFile)) add(p.configFile, 'config', '{}\n', 0o644);
  add(join(p.configDir, 'config.example.json'), 'config-example', exampleConfig(p), 0o644);
  add(launcherPath(places.binDir), 'shim', renderLauncher(node, agent), 0o755);
  const notes: string[] = launcherNotes(places.binDir, sys.env.PATH);
  if (o.shims) {
    for (const name of Object.keys(SHIM_PROGRAMS) as ShimName[]) {
      const real = realProgram(name, sys.env.PATH, places.binDir);
      if (!real) {
        notes.push(`shim for ${name}: not installed (not on PATH outside ${places.binDir}), no shim written`);
        continue;
      }
      add(join(places.binDir, name), 'shim', renderShim(name, real, node, agent), 0o755);
      notes.push(...pathOrderNote(name, real, places.binDir, sys.env.PATH));
    }
  }

  if (o.dryRun) {
    out('connwatch install --dry-run: nothing is written or run.');
    for (const f of plan) {
      if (f.action === 'keep') out(`would keep ${f.path} (${f.why})`);
      else if (f.action === 'same') out(`would leave ${f.path} (already up to date)`);
      else {
        out(`would ${f.action === 'write' ? 'write' : 'update'} ${f.path} (mode ${f.mode.toString(8)}):`);
        for (const l of f.content.replace(/\n$/, '').split('\n')) out(`    ${l}`);
      }
    }
    out(`would create ${p.stateDir} (the only directory the service may write)`);
    out(`would create ${p.rulesDir} (your own rule files; read as they change)`);
    for (const n of notes) out(n);
    for (const c of ENABLE_COMMANDS) out(`would run: systemctl --user ${c.join(' ')}`);
    return 0;
  }

  const m: Manifest = manifest ?? { version: 1, updatedAt: '', files: [], dirs: [] };
  const record = (created: string[]) => {
    for (const d of created) if (!m.dirs.includes(d)) m.dirs.push(d);
  };
  let failed = false;
  try {
    record(mkdirs(p.stateDir));
  } catch (err) {
    failed = true;
    out(`cannot create ${p.stateDir}: ${messageOf(err)}`);
  }
  // where the first own rule goes; removed by uninstall only while it is empty
  try {
    record(mkdirs(p.rulesDir));
  } catch (err) {
    out(`cannot create ${p.rulesDir} (your rule files go there; the agent reads it once it exists): ${messageOf(err)}`);
  }
  for (const f of plan) {
    if (f.action === 'keep') {
      out(`kept ${f.path}: ${f.why}`);
      continue;
    }
    try {
      if (f.action !== 'same') {
        record(mkdirs(dirname(f.path)));
        writeAtomic(f.path, f.content, f.mode);
      }
      m.files = m.files.filter((e) => e.path !== f.path).concat({ path: f.path, kind: f.kind, sha256: sha256(f.content) });
      out(`${f.action === 'write' ? 'wrote' : f.action === 'update' ? 'updated' : 'up to date:'} ${f.path}`);
    } catch (err) {
      failed = true;
      out(`cannot write ${f.path}: ${messageOf(err)}`);
    }
  }
  for (const n of notes) out(n);
  try {
    m.updatedAt = new Date().toISOString();
    writeManifest(places.manifestFile, m);
  } catch (err) {
    failed = true;
    out(`cannot write the install manifest ${places.manifestFile}: ${messageOf(err)} (uninstall will only remove files carrying the connwatch header)`);
  }
  if (failed) {
    out('Some files could not be written (see above); the service was not enabled.');
    return 1;
  }
  await runLater(sys, ENABLE_COMMANDS, out, 'enable the service');
  out('Check with: connwatch status   and   connwatch doctor');
  return 0;
}

/** Runs systemctl --user commands; without a user manager, prints them to run later. */
export async function runLater(sys: System, commands: ReadonlyArray<readonly string[]>, out: (l: string) => void, what: string): Promise<boolean> {
  for (const [i, c] of commands.entries()) {
    const r = await userCtl(sys, c);
    if (r.reached && r.result.code === 0) {
      out(`ran: systemctl --user ${c.join(' ')}`);
      continue;
    }
    const rest = commands.slice(i).map((x) => `  systemctl --user ${x.join(' ')}`);
    if (!r.reached) out(`The systemd user manager is not reachable here (${r.reason}). To ${what}, run in your desktop session:`);
    else out(`systemctl --user ${c.join(' ')} failed (exit ${r.result.code}): ${r.out}\nFix that, then run:`);
    for (const l of rest) out(l);
    return false;
  }
  return true;
}

/** A shim only works when ~/.local/bin comes before the real program's directory on PATH. */
function pathOrderNote(name: string, real: string, binDir: string, pathVar: string | undefined): string[] {
  const dirs = (pathVar ?? '').split(delimiter).map((d) => (d ? resolve(d) : d));
  const bin = dirs.indexOf(resolve(binDir));
  const realDir = dirs.indexOf(resolve(dirname(real)));
  if (bin >= 0 && (realDir < 0 || bin < realDir)) return [];
  return [
    `note: ${binDir} is ${bin < 0 ? 'not on PATH' : `after ${dirname(real)} on PATH`}, so "${name}" still runs ${real} uncaptured; put ${binDir} first in PATH (e.g. in ~/.profile: PATH="$HOME/.local/bin:$PATH"), or start ${join(binDir, name)} by its full path.`,
  ];
}
