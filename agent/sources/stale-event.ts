/**
 * The `process.stale` Event of a finding: which client (programs.ts: label, restart hint,
 * remedy), the most telling stale file, its package and when it was replaced (the package
 * history, else the new file's ctime), the process's start time as a person reads it.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Detail, Event, Program } from '../event.js';
import type { PackageChange, PackageHistory } from '../correlate/packages.js';
import { sandboxedRemedy } from '../parsers/flatpak.js';
import { BINARIES } from '../programs.js';
import { DELETED, type Finding, type StaleFile } from './stale-files.js';

interface Client {
  program: Program;
  label: string;
  restartHint: string;
  remedy: string;
}

/** What each watched program is called in events and messages, and how to restart it (programs.ts). */
export const CLIENTS: Readonly<Record<string, Client>> = Object.fromEntries(BINARIES);

export const DEFAULT_PROGRAMS: readonly string[] = [...BINARIES.keys()];

const clientOf = (name: string): Client =>
  CLIENTS[name] ?? { program: 'other', label: name, restartHint: `quit ${name}`, remedy: `quit ${name} and start it again` };

/**
 * Files whose replacement matters most to these clients, most telling first: the event names the
 * best-ranked stale file (after a replaced program), so an upgrade of FreeRDP is reported as such.
 */
const RANKED: readonly RegExp[] = [
  /^libfreerdp-client/,
  /^libfreerdp/,
  /^remmina-plugin/,
  /^libwinpr/,
  /^lib(?:ssl|crypto)\.so/,
  /^lib(?:gssapi|krb5|gnutls|ssh)/,
];
const rank = (path: string): number => {
  const name = basename(path);
  const i = RANKED.findIndex((re) => re.test(name));
  return i < 0 ? RANKED.length : i;
};

const pad = (n: number) => String(n).padStart(2, '0');
/** HH:MM in local time, as a person reads it in a notification. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The event of finding `f`; `procRoot` is where its /proc/PID came from. */
export async function staleEvent(f: Finding, procRoot: string, packages: PackageHistory | undefined): Promise<Event> {
  const client = clientOf(f.name);
  const primary =
    f.files.find((x) => x.via === 'exe') ?? f.files.find((x) => x.sandbox) ?? f.files.reduce((best, x) => (rank(x.path) < rank(best.path) ? x : best), f.files[0]!);
  const detail: Detail = {
    file: primary.path,
    fileName: basename(primary.path),
    files: f.files.map((x) => x.path).join(','),
    fileCount: f.files.length,
    deleted: primary.deleted,
    reason: primary.via === 'exe' ? 'exe-deleted' : primary.deleted ? 'deleted' : 'replaced',
    exeDeleted: f.exeDeleted,
    comm: f.comm,
    programLabel: client.label,
    restartHint: client.restartHint,
    remedy: client.remedy,
  };
  if (f.exe !== undefined) detail.exe = f.exe;
  if (f.startTime !== undefined) {
    detail.startedAt = clockTime(f.startTime);
    detail.startedAtIso = new Date(f.startTime).toISOString();
    detail.startedAtMs = f.startTime;
  }
  await addPackage(detail, f, primary, procRoot, packages);
  const ev: Event = {
    time: Date.now(),
    timeFrom: 'arrival',
    program: client.program,
    kind: 'process.stale',
    pid: f.pid,
    detail,
    pattern: `proc.${detail.reason as string}`,
    raw: {
      text: `pid ${f.pid} ${f.comm} ${primary.via} ${primary.deleted ? `${primary.path}${DELETED}` : `${primary.path} (replaced: ${primary.evidence})`}`,
      source: 'proc',
      file: `${procRoot}/${f.pid}/${primary.via}`,
    },
  };
  return ev;
}

/** package, packages, replacedAt…: from the package history, else the new file's ctime. */
async function addPackage(detail: Detail, f: Finding, primary: StaleFile, procRoot: string, packages: PackageHistory | undefined): Promise<void> {
  let change: PackageChange | undefined;
  const box = primary.sandbox;
  if (box) {
    // a Flatpak app or runtime, a snap: its id is the "package" its history names
    detail.package = box.name;
    detail.packages = box.name;
    detail.sandbox = box.kind;
    detail.sandboxRevision = box.revision;
    detail.sandboxCurrent = box.current;
    if (box.kind === 'flatpak') detail.fileName = `the Flatpak ${box.runtime ? 'runtime' : 'app'} ${box.name} of commit ${box.revision.slice(0, 12)}`;
    detail.remedy = sandboxedRemedy(box, clientOf(f.name).label);
    change = packages?.lastChangeOf(box.name);
  } else if (packages) {
    const owners: string[] = [];
    for (const file of [primary, ...f.files.filter((x) => x !== primary)].slice(0, 8)) {
      const pkg = await packages.packageOfFile(file.path);
      if (pkg !== undefined && !owners.includes(pkg)) owners.push(pkg);
      if (file === primary && pkg !== undefined) {
        detail.package = pkg;
        change = packages.lastChangeOf(pkg);
      }
    }
    if (owners.length) detail.packages = owners.join(',');
  }
  // A change older than the process cannot be what replaced the file it maps.
  if (change && (f.startTime === undefined || change.time >= f.startTime - 1000)) {
    detail.replacedAt = clockTime(change.time);
    detail.replacedAtIso = new Date(change.time).toISOString();
    detail.replacedAtFrom = change.from;
    detail.packageAction = change.action;
    if (change.newVersion !== undefined) detail.packageVersion = change.newVersion;
    if (change.oldVersion !== undefined) detail.packageOldVersion = change.oldVersion;
    return;
  }
  try {
    // rename(2) of the new file over the old one sets the new file's ctime: when it was replaced.
    const now = await stat(`${procRoot}/${f.pid}/root${primary.path}`);
    if (f.startTime === undefined || now.ctimeMs >= f.startTime) {
      detail.replacedAt = clockTime(now.ctimeMs);
      detail.replacedAtIso = new Date(now.ctimeMs).toISOString();
      detail.replacedAtFrom = 'file-ctime';
    }
  } catch {
    // the name is gone too (a library whose file name carried the old version): time unknown
  }
}
