/**
 * Clients installed as a Flatpak or a snap go stale without any " (deleted)" mapping: an update
 * deploys the new version beside the old one and leaves the old one in place while it is in use,
 * so the scan's inode comparison sees nothing. What tells instead:
 *
 *   - Flatpak: bubblewrap bind-mounts the app's deploy directory on /app and the runtime's on /usr,
 *     so /proc/PID/mountinfo names the deployed commit
 *       "… /var/lib/flatpak/app/org.remmina.Remmina/x86_64/stable/<commit>/files /app ro,nosuid …"
 *     and `<installation>/app/<id>/<arch>/<branch>/active` is a symlink to the commit now deployed
 *     (system installation /var/lib/flatpak, per-user ~/.local/share/flatpak). A mount whose
 *     commit is not the active one is an old deploy still running. The mountinfo root is the path
 *     inside its file system: shorter when /var or /home is a partition of its own, longer on a
 *     btrfs subvolume ("/root/var/lib/flatpak/…"); the installation is the one whose path and the
 *     root end alike.
 *   - snap: the process maps files under /snap/<name>/<revision>/, and /snap/<name>/current is a
 *     symlink to the revision now in use after `snap refresh` (read through /proc/PID/root, the
 *     process's own view of /snap).
 */
import { readlink, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { MapsEntry } from '../sources/stale-files.js';
import type { SandboxedFile } from '../parsers/flatpak.js';

export interface SandboxOptions {
  /** Flatpak installations (default: /var/lib/flatpak, $XDG_DATA_HOME/flatpak or ~/.local/share/flatpak). */
  flatpakDirs?: string[];
  /** Where snaps are mounted (default /snap). */
  snapRoot?: string;
}

export interface SandboxedStale extends SandboxedFile {
  /** The path a finding names: the mount point (Flatpak) or the mapped file (snap). */
  path: string;
  /** The commit or revision in use now. */
  current: string;
  /** The mountinfo line or the maps line that shows it. */
  evidence: string;
  /** The Flatpak app the process runs (also when the stale deploy is its runtime). */
  app?: string;
}

export function defaultFlatpakDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const data = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return ['/var/lib/flatpak', join(data, 'flatpak')];
}

const DEPLOY = /(?:^|\/)(app|runtime)\/([^/]+)\/([^/]+)\/([^/]+)\/([0-9a-f]{8,64})\/files$/;

/** mountinfo's octal escapes (\040 for a space) undone. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The old Flatpak deploys and snap revisions a process (/proc/PID as `dir`) still runs. */
export async function sandboxedStale(dir: string, maps: readonly MapsEntry[], opts: SandboxOptions = {}): Promise<SandboxedStale[]> {
  return [...(await flatpakStale(dir, opts.flatpakDirs ?? defaultFlatpakDirs())), ...(await snapStale(dir, maps, opts.snapRoot ?? '/snap'))];
}

async function flatpakStale(dir: string, installations: string[]): Promise<SandboxedStale[]> {
  let text: string;
  try {
    text = await readFile(`${dir}/mountinfo`, 'utf8');
  } catch {
    return [];
  }
  const deploys: Array<{ kind: string; id: string; rel: string; root: string; commit: string; mount: string; line: string }> = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const root = unescape(f[3]!);
    const m = DEPLOY.exec(root);
    if (!m) continue;
    deploys.push({ kind: m[1]!, id: m[2]!, rel: `${m[1]}/${m[2]}/${m[3]}/${m[4]}`, root, commit: m[5]!, mount: unescape(f[4]!), line });
  }
  const app = deploys.find((d) => d.kind === 'app')?.id;
  const out: SandboxedStale[] = [];
  const seen = new Set<string>();
  for (const d of deploys) {
    if (seen.has(d.root)) continue;
    seen.add(d.root);
    for (const inst of installations) {
      // the root is the path inside its file system: shorter than the installation's path when
      // /var or /home is a partition of its own, longer on a btrfs subvolume (/root/var/lib/…)
      const host = `${inst}/${d.rel}/${d.commit}/files`;
      if (!host.endsWith(d.root) && !d.root.endsWith(host)) continue;
      let active: string;
      try {
        active = await readlink(`${inst}/${d.rel}/active`);
      } catch {
        continue; // not this installation
      }
      if (active !== d.commit) {
        out.push({ kind: 'flatpak', name: d.id, revision: d.commit, current: active, path: d.mount, evidence: d.line, ...(d.kind === 'runtime' ? { runtime: true } : {}), ...(app ? { app } : {}) });
      }
      break;
    }
  }
  return out;
}

async function snapStale(dir: string, maps: readonly MapsEntry[], snapRoot: string): Promise<SandboxedStale[]> {
  const prefix = `${snapRoot.replace(/\/$/, '')}/`;
  const bySnap = new Map<string, { rev: string; entry: MapsEntry }>();
  for (const e of maps) {
    if (!e.path.startsWith(prefix) || !e.perms.includes('x')) continue;
    const m = /^([^/]+)\/(x?\d+)\//.exec(e.path.slice(prefix.length));
    if (!m || bySnap.has(`${m[1]}/${m[2]}`)) continue;
    bySnap.set(`${m[1]}/${m[2]}`, { rev: m[2]!, entry: e });
  }
  const out: SandboxedStale[] = [];
  for (const [key, { rev, entry }] of bySnap) {
    const name = key.slice(0, key.indexOf('/'));
    let current: string;
    try {
      current = await readlink(`${dir}/root${prefix}${name}/current`);
    } catch {
      continue;
    }
    if (current !== rev) out.push({ kind: 'snap', name, revision: rev, current, path: entry.path, evidence: entry.line });
  }
  return out;
}
