/**
 * What `connwatch uninstall [--purge]` does (cli/uninstall.ts parses its options): stops and
 * disables the user service and removes exactly what
 * `connwatch install` wrote, as its manifest lists it. A file changed since install is kept and
 * reported. The configuration and the alert history stay unless --purge (which also removes the
 * state directory: history, positions, captures). Directories install created are removed when
 * they are empty. Without a manifest, only the unit and shims that carry the connwatch header
 * line are removed.
 */
import { existsSync, readdirSync, rmSync, rmdirSync, unlinkSync } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import type { Paths } from '../config/paths.js';
import { platform, type Platform } from '../platform/index.js';
import { stopAutostart } from '../platform/autostart.js';
import { messageOf } from '../errors.js';
import { realSystem, type System } from '../doctor/system.js';
import { UNIT_NAME } from '../doctor/systemctl.js';
import { runLater } from './install.js';
import { LAUNCHER_NAME } from './launcher.js';
import { currentHash, installPlaces, isOurs, readManifest, SHIM_PROGRAMS, writeManifest, type Manifest, type ManifestEntry } from './service.js';

export interface UninstallOptions {
  purge?: boolean;
  /** Print what would be removed, kept and run; change nothing. */
  dryRun?: boolean;
  sys?: System;
  out?: (line: string) => void;
  /** Default: the platform of this process (platform/index.ts). */
  platform?: Platform;
}

export const DISABLE_COMMANDS: ReadonlyArray<readonly string[]> = [['disable', '--now', UNIT_NAME]];

export async function uninstall(o: UninstallOptions = {}): Promise<number> {
  const sys = o.sys ?? realSystem();
  const out = o.out ?? ((l: string) => void process.stdout.write(`${l}\n`));
  const plat = o.platform ?? platform();
  const p = plat.paths(sys.env);
  const places = installPlaces(p, sys.env);
  // Windows and macOS: the manifest sits in the state directory, named with that platform's separators
  if (plat.id !== 'linux') places.manifestFile = (plat.id === 'windows' ? win32 : posix).join(p.stateDir, 'installed.json');
  let manifest: Manifest | undefined = readManifest(places.manifestFile);
  if (!manifest) {
    const found: ManifestEntry[] = [];
    for (const [path, kind] of [[places.unitFile, 'unit'], ...[...Object.keys(SHIM_PROGRAMS), LAUNCHER_NAME].map((n) => [join(places.binDir, n), 'shim'])] as Array<[string, 'unit' | 'shim']>) {
      const h = currentHash(path);
      if (h && isOurs(path)) found.push({ path, kind, sha256: h });
    }
    out(`No install manifest (${places.manifestFile}); removing only files that carry the connwatch header.`);
    manifest = { version: 1, updatedAt: '', files: found, dirs: [] };
  }

  const unitListed = manifest.files.some((f) => f.kind === 'unit');
  if (o.dryRun) return dryRun(manifest, unitListed, Boolean(o.purge), p, out);
  const stopped =
    plat.id !== 'linux'
      ? await stopAutostart(plat, sys, manifest, out)
      : unitListed
        ? await runLater(sys, DISABLE_COMMANDS, out, 'stop and disable the service')
        : true;

  let failed = false;
  const remaining: ManifestEntry[] = [];
  for (const f of manifest.files) {
    const keepConfig = (f.kind === 'config' || f.kind === 'config-example') && !o.purge;
    const now = currentHash(f.path);
    if (now === undefined) {
      if (existsSync(f.path)) {
        out(`kept ${f.path}: cannot be read`);
        remaining.push(f);
      } else out(`already gone: ${f.path}`);
      continue;
    }
    if (keepConfig) {
      out(`kept ${f.path} (configuration; --purge removes it)`);
      remaining.push(f);
      continue;
    }
    if (now !== f.sha256) {
      out(`kept ${f.path}: changed since connwatch installed it (remove it yourself if you do not need it)`);
      continue;
    }
    try {
      unlinkSync(f.path);
      out(`removed ${f.path}`);
    } catch (err) {
      failed = true;
      remaining.push(f);
      out(`cannot remove ${f.path}: ${messageOf(err)}`);
    }
  }

  if (o.purge) {
    try {
      rmSync(p.stateDir, { recursive: true, force: true });
      out(`removed ${p.stateDir} (alert history, positions, captures)`);
    } catch (err) {
      failed = true;
      out(`cannot remove ${p.stateDir}: ${messageOf(err)}`);
    }
    const rulesDir = p.rulesDir;
    if (existsSync(rulesDir) && readdirSync(rulesDir).length > 0) out(`kept ${rulesDir}: your own rules`);
  } else if (remaining.length > 0) {
    try {
      writeManifest(places.manifestFile, { ...manifest, files: remaining, updatedAt: new Date().toISOString() });
    } catch (err) {
      out(`cannot update ${places.manifestFile}: ${messageOf(err)}`);
    }
  } else if (existsSync(places.manifestFile)) {
    unlinkSync(places.manifestFile);
  }

  // Directories install created, innermost first, when nothing else lives there now.
  const dirs = [...manifest.dirs].sort((a, b) => b.length - a.length);
  for (const d of dirs) {
    try {
      rmdirSync(d);
    } catch {
      // not empty (or already gone): it holds something that is not ours, or kept files
    }
  }
  if (unitListed && plat.id === 'linux') await runLater(sys, [['daemon-reload']], out, 'forget the removed unit');
  if (!o.purge) out(`Kept the configuration (${p.configDir}) and the alert history (${p.historyFile}); \`connwatch uninstall --purge\` removes them.`);
  if (!stopped) out('The service may still be running until you run the command above.');
  return failed ? 1 : 0;
}

/** What uninstall would do, decided as uninstall decides it; nothing is removed or run. */
function dryRun(manifest: Manifest, unitListed: boolean, purge: boolean, p: Paths, out: (l: string) => void): number {
  out(`connwatch uninstall --dry-run${purge ? ' --purge' : ''}: nothing is removed or run.`);
  if (unitListed) for (const c of DISABLE_COMMANDS) out(`would run: systemctl --user ${c.join(' ')}`);
  for (const f of manifest.files) {
    const now = currentHash(f.path);
    if (now === undefined) out(existsSync(f.path) ? `would keep ${f.path}: cannot be read` : `already gone: ${f.path}`);
    else if ((f.kind === 'config' || f.kind === 'config-example') && !purge) out(`would keep ${f.path} (configuration; --purge removes it)`);
    else if (now !== f.sha256) out(`would keep ${f.path}: changed since connwatch installed it`);
    else out(`would remove ${f.path}`);
  }
  if (purge) out(`would remove ${p.stateDir} (alert history, positions, captures)`);
  for (const d of [...manifest.dirs].sort((a, b) => b.length - a.length)) out(`would remove ${d} if nothing else is left in it`);
  if (unitListed) out('would run: systemctl --user daemon-reload');
  return 0;
}
