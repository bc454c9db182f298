/**
 * Flatpak's history: flatpak writes every install, update and uninstall to the journal
 * (flatpak_dir_log in common/flatpak-dir.c; what `flatpak history` reads), with
 * MESSAGE_ID=c7b39b1e006b464599465e105b361485 and the fields
 *
 *   MESSAGE=system: Updated app/org.remmina.Remmina/x86_64/stable from flathub
 *   OPERATION=deploy install | deploy update (as flatpak-dir.c passes them; "uninstall" is
 *             read too, its exact spelling not checked against flatpak's source)
 *   INSTALLATION=system | user   REF=app/org.remmina.Remmina/x86_64/stable
 *   COMMIT=…  OLD_COMMIT=…  REMOTE=flathub
 *
 * A Flatpak app's libraries live under /var/lib/flatpak (system) or ~/.local/share/flatpak (user):
 * app/<id>/<arch>/<branch>/<commit>/files/… and runtime/<id>/<arch>/<branch>/<commit>/files/….
 * A Remmina still mapping the FreeRDP of an old commit is cured by restarting the app (flatpak
 * kill, then start it), not by a package manager.
 */
import type { PackageAction, PackageRecord } from './pkglog.js';

export const FLATPAK_MESSAGE_ID = 'c7b39b1e006b464599465e105b361485';

const OPERATIONS: Record<string, PackageAction> = { 'deploy install': 'install', 'deploy update': 'upgrade', 'deploy change': 'upgrade', uninstall: 'remove' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** One `journalctl -o json` entry of flatpak's history → a record (undefined for other entries). */
export function parseFlatpakEntry(o: Record<string, unknown>): PackageRecord | undefined {
  if (o.MESSAGE_ID !== FLATPAK_MESSAGE_ID) return undefined;
  const action = OPERATIONS[str(o.OPERATION) ?? ''];
  const ref = str(o.REF);
  const ts = str(o.__REALTIME_TIMESTAMP);
  if (!action || !ref || !ts || !/^\d+$/.test(ts) || ref.startsWith('appstream')) return undefined;
  const [, id, arch, branch] = ref.split('/');
  if (!id) return undefined;
  const r: PackageRecord = { action, package: id, time: Math.floor(Number(ts) / 1000), from: 'flatpak' };
  if (arch) r.arch = arch;
  const commit = str(o.COMMIT);
  const old = str(o.OLD_COMMIT);
  if (commit && action !== 'remove') r.newVersion = `${branch ?? ''}@${commit.slice(0, 12)}`;
  if (old) r.oldVersion = `${branch ?? ''}@${old.slice(0, 12)}`;
  return r;
}

export interface SandboxedFile {
  kind: 'flatpak' | 'snap';
  /** Flatpak app or runtime id, or the snap's name. */
  name: string;
  /** Flatpak: the deployed commit; snap: the revision. */
  revision: string;
  runtime?: boolean;
}

/** Which Flatpak app/runtime or snap a mapped file belongs to (undefined: neither). */
export function sandboxedOwner(path: string): SandboxedFile | undefined {
  const f = /\/flatpak\/(app|runtime)\/([^/]+)\/[^/]+\/[^/]+\/([0-9a-f]{8,64})\/files\//.exec(path);
  if (f) return { kind: 'flatpak', name: f[2]!, revision: f[3]!, ...(f[1] === 'runtime' ? { runtime: true } : {}) };
  const s = /^\/snap\/([^/]+)\/(x?\d+)\//.exec(path);
  if (s) return { kind: 'snap', name: s[1]!, revision: s[2]! };
  return undefined;
}

/**
 * What to tell a person whose running client maps an old copy inside a Flatpak or snap; `o.app`
 * is the Flatpak app the process runs (for `flatpak kill`), when known.
 */
export function sandboxedRemedy(o: SandboxedFile & { app?: string }, app: string): string {
  return o.kind === 'flatpak'
    ? `Quit and restart ${app}: it still runs the Flatpak ${o.runtime ? 'runtime' : 'app'} ${o.name} of commit ${o.revision.slice(0, 12)}, which flatpak update replaced (flatpak kill ${o.app ?? (o.runtime ? app : o.name)} also ends it). No package needs upgrading.`
    : `Quit and restart ${app}: it still runs revision ${o.revision} of the snap ${o.name}, which snap refresh replaced (snap refresh --list shows what is pending). No package needs upgrading.`;
}
