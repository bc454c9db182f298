/**
 * ProcessScan: finds remote-access clients that still run a library or program replaced on disk
 * (the Remmina lesson: updating FreeRDP fixes CredSSP only once Remmina is restarted), the way
 * needrestart does it, and reports each as a `process.stale` Event.
 *
 * For each process of ours (uid) whose comm or exe name is in the watch list:
 *   1. `/proc/PID/exe` whose link ends in " (deleted)": the program itself was replaced;
 *   2. `/proc/PID/maps`: executable (x) file mappings (inode ≠ 0) whose path ends in " (deleted)"
 *      (dpkg writes `<file>.dpkg-new` and renames it over the old file, so the old inode lives on
 *      only in running processes), or whose device:inode differs from the file now at that path
 *      (stat through /proc/PID/root, so Flatpak and containers see their own files).
 * Ignored, as needrestart does: memfd:, SYSV shared memory, /dev/*, drm, [aio], anonymous and
 * [vdso]-style mappings, anything under (/var)/tmp/ or (/var)/run/ (so /run/user too), JIT files
 * (orcexec.*, jna*.tmp, plasmashell's /#N). A path whose device differs from the maps line
 * (overlayfs, btrfs subvolumes report another st_dev) is compared through
 * /proc/PID/map_files/<range> instead, and skipped when that cannot tell.
 *
 * Linux only. Kernel evidence and needrestart's method: shared reference signatures.md §H.
 *
 * Cost: one readdir of /proc; per process of ours its comm and exe link, read synchronously (a
 * few bytes of proc each: on a 66-process machine a scan went from about 15 ms to about 3 ms of
 * CPU); stat and maps only for processes that match. Scans run every `intervalMs` (60 s), right
 * after start(), and `soonDelayMs` after the last package line that replaced files (scanSoon,
 * debounced), never two at once. A (pid, stale file set) is reported once; again only when the
 * set changes.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import type { Detail, Event, Program } from '../event.js';
import type { PackageChange, PackageHistory } from '../correlate/packages.js';
import { sandboxedStale, type SandboxedStale, type SandboxOptions } from '../correlate/sandboxed.js';
import { sandboxedRemedy } from '../parsers/flatpak.js';
import { BINARIES } from '../programs.js';

export interface ScanLog {
  debug(message: string): void;
  warn(message: string): void;
}

export interface ProcessScanOptions {
  /** Program names (comm or exe basename) to watch; default DEFAULT_PROGRAMS. */
  programs?: string[];
  /** Period of the regular scan, ms (default 60 000). */
  intervalMs?: number;
  /** Quiet time after the last scanSoon() before the scan runs, ms (default 3 000). */
  soonDelayMs?: number;
  /** Longest a scanSoon() waits while package lines keep coming, ms (default 30 000). */
  soonMaxDelayMs?: number;
  /** Where proc is mounted (default /proc); tests may point elsewhere. */
  procRoot?: string;
  /** Only processes of this user (default: ours). */
  uid?: number;
  /** Says which package a stale file belongs to and when it was replaced. */
  packages?: PackageHistory;
  /** Where Flatpak installations and snaps live (correlate/sandboxed.ts); default the system's. */
  sandbox?: SandboxOptions;
  /** Clock ticks per second of /proc/PID/stat starttime (USER_HZ, 100 on every mainstream Linux). */
  clockTicks?: number;
  onEvent: (e: Event) => Promise<void>;
  log: ScanLog;
}

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

const DELETED = ' (deleted)';
const PARALLEL = 16;
const IGNORED: readonly RegExp[] = [
  /^\/(?:SYSV[0-9a-fA-F]{8}|dev\/|memfd:|\[aio\]|anon_hugepage)/,
  /^\/drm(?: |$)/,
  /^(?:\/var)?\/tmp\//,
  /^(?:\/var)?\/run\//,
  /\/orcexec\.\w+$/,
  /\/jna\d+\.tmp$/,
  /\/#\d+$/,
];
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

/** A path that stale-file checks leave alone (needrestart's blacklist_mappings, extended). */
export function isIgnoredPath(path: string): boolean {
  const clean = path.endsWith(DELETED) ? path.slice(0, -DELETED.length) : path;
  return !clean.startsWith('/') || IGNORED.some((re) => re.test(clean));
}

export interface MapsEntry {
  start: string;
  end: string;
  perms: string;
  /** Device as the maps line writes it: major and minor, hex. */
  major: number;
  minor: number;
  inode: bigint;
  /** The path without " (deleted)"; '' for anonymous memory. */
  path: string;
  deleted: boolean;
  line: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ ([0-9a-f]+):([0-9a-f]+) (\d+)(?: +(.*))?$/;

export function parseMapsLine(line: string): MapsEntry | undefined {
  const m = MAPS_LINE.exec(line);
  if (!m) return undefined;
  let path = m[7] ?? '';
  const deleted = path.endsWith(DELETED);
  if (deleted) path = path.slice(0, -DELETED.length);
  return {
    start: m[1]!,
    end: m[2]!,
    perms: m[3]!,
    major: parseInt(m[4]!, 16),
    minor: parseInt(m[5]!, 16),
    inode: BigInt(m[6]!),
    path,
    deleted,
    line,
  };
}

/** st_dev as glibc/Linux encode it (new_encode_dev) → major, minor; maps writes them as "fe:00". */
export function decodeDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return { major: Number(major), minor: Number(minor) };
}

export interface StaleFile {
  path: string;
  /** The old file has no name left (" (deleted)"); false: another file now has its name. */
  deleted: boolean;
  /** The line of evidence: the maps line, or the exe link. */
  evidence: string;
  via: 'exe' | 'maps';
  /** An old Flatpak deploy or snap revision still running (correlate/sandboxed.ts). */
  sandbox?: SandboxedStale;
}

export interface Finding {
  pid: number;
  name: string;
  comm: string;
  exe: string | undefined;
  exeDeleted: boolean;
  /** Process start, ms since epoch. */
  startTime: number | undefined;
  files: StaleFile[];
}

const pad = (n: number) => String(n).padStart(2, '0');
/** HH:MM in local time, as a person reads it in a notification. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export class ProcessScan {
  private readonly programs: Set<string>;
  private readonly intervalMs: number;
  private readonly soonDelayMs: number;
  private readonly soonMaxDelayMs: number;
  private readonly procRoot: string;
  private readonly uid: number | undefined;
  private readonly clockTicks: number;
  private readonly packages: PackageHistory | undefined;
  private readonly sandbox: SandboxOptions;
  private readonly onEvent: (e: Event) => Promise<void>;
  private readonly log: ScanLog;

  /** pid → process start + the stale set last reported. */
  private readonly reported = new Map<number, { start: number | undefined; key: string }>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private soonFirst: number | undefined;
  private running = false;
  private lastError: string | undefined;
  readonly stats = { scans: 0, processesChecked: 0, findings: 0, skipped: 0 };

  constructor(opts: ProcessScanOptions) {
    this.programs = new Set(opts.programs ?? DEFAULT_PROGRAMS);
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.soonDelayMs = opts.soonDelayMs ?? 3_000;
    this.soonMaxDelayMs = opts.soonMaxDelayMs ?? 30_000;
    this.procRoot = opts.procRoot ?? '/proc';
    this.uid = opts.uid ?? process.getuid?.();
    this.clockTicks = opts.clockTicks ?? 100;
    this.packages = opts.packages;
    this.sandbox = opts.sandbox ?? {};
    this.onEvent = opts.onEvent;
    this.log = opts.log;
  }

  /** Scans now, then every intervalMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.scheduled(), this.intervalMs);
    this.timer.unref();
    this.scheduled();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.timer = undefined;
    this.soonTimer = undefined;
    this.soonFirst = undefined;
  }

  /**
   * A package line said files were replaced: scan once the package run has been quiet for
   * soonDelayMs (at most soonMaxDelayMs after the first call), so one upgrade gives one finding
   * per process rather than one per unpacked package.
   */
  scanSoon(): void {
    if (!this.running) return;
    const now = Date.now();
    this.soonFirst ??= now;
    const at = Math.min(now + this.soonDelayMs, this.soonFirst + this.soonMaxDelayMs);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.soonFirst = undefined;
      this.scheduled();
    }, Math.max(0, at - now));
    this.soonTimer.unref();
  }

  /**
   * Feeds a dpkg/apt event: pkg.change events go to the package history, and those that replace
   * files, and the end of an apt run, ask for a scan soon. Other events are ignored. (dnf, pacman,
   * Flatpak and snap histories reach the history through PackageLogs, which calls scanSoon.)
   */
  notePackageEvent(e: Event): void {
    if (e.program !== 'dpkg' && e.program !== 'apt') return;
    const replacing = e.kind === 'pkg.change' && (this.packages ? this.packages.record(e) : e.detail.action !== 'configure' && e.detail.action !== 'trigproc');
    if (replacing || (e.kind === 'pkg.run' && e.detail.phase === 'end')) this.scanSoon();
  }

  /** One scan, after any scan in progress; hands new findings to onEvent and returns them. */
  scanNow(): Promise<Event[]> {
    const run = this.chain.then(() => this.scanOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private scheduled(): void {
    if (!this.running) return;
    this.scanNow().then(
      () => {
        this.lastError = undefined;
      },
      (err: unknown) => {
        const text = messageOf(err);
        if (text !== this.lastError) this.log.warn(text);
        this.lastError = text;
      },
    );
  }

  private async scanOnce(): Promise<Event[]> {
    this.stats.scans++;
    let names: string[];
    try {
      names = await readdir(this.procRoot);
    } catch (err) {
      throw new ConnwatchError('SOURCE_UNREADABLE', `Cannot list processes in ${this.procRoot} (${errnoCode(err) ?? messageOf(err)}).`, {
        hint: 'The stale-library check needs /proc (Linux). Mount proc, or turn the check off in the config.',
        cause: err,
      });
    }
    const boot = await this.bootTime();
    const seen = new Set<number>();
    const events: Event[] = [];
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
    const found: Finding[] = [];
    // A few processes at a time: owner, comm and exe are read at once (synchronously), the maps and
    // stat of the watched ones through the thread pool, in parallel.
    for (let i = 0; i < pids.length; i += PARALLEL) {
      const batch = await Promise.all(pids.slice(i, i + PARALLEL).map((pid) => this.inspectQuietly(pid, boot)));
      for (const f of batch) if (f) found.push(f);
    }
    for (const finding of found) {
      const pid = finding.pid;
      seen.add(pid);
      const key = finding.files.map((f) => f.path).sort().join('\n');
      const before = this.reported.get(pid);
      if (key === '') {
        this.reported.delete(pid);
        continue;
      }
      if (before && before.key === key && before.start === finding.startTime) continue;
      this.reported.set(pid, { start: finding.startTime, key });
      const ev = await this.toEvent(finding);
      this.stats.findings++;
      events.push(ev);
      try {
        await this.onEvent(ev);
      } catch (err) {
        this.log.warn(`process scan: handling the finding for pid ${pid} failed: ${messageOf(err)}`);
      }
    }
    for (const pid of this.reported.keys()) if (!seen.has(pid)) this.reported.delete(pid);
    return events;
  }

  private async inspectQuietly(pid: number, boot: number | undefined): Promise<Finding | undefined> {
    try {
      return await this.inspect(pid, boot);
    } catch (err) {
      // The process ended meanwhile, or is not ours to read: nothing to report.
      this.stats.skipped++;
      const code = errnoCode(err);
      if (code !== 'ENOENT' && code !== 'ESRCH' && code !== 'EACCES' && code !== 'EPERM') this.log.debug(`process scan: pid ${pid}: ${messageOf(err)}`);
      return undefined;
    }
  }

  private async bootTime(): Promise<number | undefined> {
    try {
      const m = /^btime (\d+)$/m.exec(await readFile(`${this.procRoot}/stat`, 'utf8'));
      return m ? Number(m[1]) * 1000 : undefined;
    } catch {
      return undefined;
    }
  }

  /** A watched process of ours → its stale files (possibly none); undefined when not watched. */
  private async inspect(pid: number, boot: number | undefined): Promise<Finding | undefined> {
    const dir = `${this.procRoot}/${pid}`;
    // Owner, comm and exe of every process are read synchronously: they are a few bytes of proc
    // each, and three thread-pool round trips per process made most of an idle agent's scan cost.
    if (this.uid !== undefined && statSync(dir).uid !== this.uid) return undefined;
    const comm = readFileSync(`${dir}/comm`, 'utf8').replace(/\n$/, '');
    let exeLink: string | undefined;
    try {
      exeLink = readlinkSync(`${dir}/exe`);
    } catch {
      exeLink = undefined; // kernel threads have no exe
    }
    const exeDeleted = exeLink?.endsWith(DELETED) ?? false;
    const exe = exeLink && exeDeleted ? exeLink.slice(0, -DELETED.length) : exeLink;
    const name = this.watchedName(comm, exe);
    if (name === undefined) return undefined;
    this.stats.processesChecked++;

    const files = new Map<string, StaleFile>();
    if (exe && exeDeleted && !isIgnoredPath(exe)) files.set(exe, { path: exe, deleted: true, evidence: `${exe}${DELETED}`, via: 'exe' });
    const maps = await readFile(`${dir}/maps`, 'utf8');
    const checked = new Set<string>();
    const entries: MapsEntry[] = [];
    for (const line of maps.split('\n')) {
      const e = parseMapsLine(line);
      if (!e || !e.perms.includes('x') || e.inode === 0n || e.path === '' || isIgnoredPath(e.path)) continue;
      entries.push(e);
      if (files.has(e.path)) continue;
      if (e.deleted) {
        files.set(e.path, { path: e.path, deleted: true, evidence: line, via: 'maps' });
        continue;
      }
      if (checked.has(e.path)) continue;
      checked.add(e.path);
      if (await this.replacedInPlace(dir, e)) files.set(e.path, { path: e.path, deleted: false, evidence: line, via: 'maps' });
    }
    for (const o of await sandboxedStale(dir, entries, this.sandbox)) {
      if (!files.has(o.path)) files.set(o.path, { path: o.path, deleted: false, evidence: o.evidence, via: 'maps', sandbox: o });
    }
    return { pid, name, comm, exe, exeDeleted, startTime: await this.startTime(dir, boot), files: [...files.values()] };
  }

  private watchedName(comm: string, exe: string | undefined): string | undefined {
    if (this.programs.has(comm)) return comm;
    if (exe !== undefined) {
      const base = basename(exe);
      if (this.programs.has(base)) return base;
    }
    // comm is cut to 15 bytes
    if (comm.length === 15) for (const p of this.programs) if (p.startsWith(comm)) return p;
    return undefined;
  }

  /** The file now at the mapped path is another one than the process maps (same device, other inode). */
  private async replacedInPlace(dir: string, e: MapsEntry): Promise<boolean> {
    let now;
    try {
      now = await stat(`${dir}/root${e.path}`, { bigint: true });
    } catch {
      return false; // not visible from here (another mount namespace we cannot enter): cannot tell
    }
    const dev = decodeDev(now.dev);
    if (dev.major === e.major && dev.minor === e.minor) return now.ino !== e.inode;
    // overlayfs / btrfs: maps shows the underlying device. Ask the mapping itself.
    try {
      const mapped = await stat(`${dir}/map_files/${e.start}-${e.end}`, { bigint: true });
      return mapped.dev === now.dev && mapped.ino !== now.ino;
    } catch {
      this.log.debug(`process scan: cannot compare ${e.path} (device ${e.major}:${e.minor} in maps, ${dev.major}:${dev.minor} on disk)`);
      return false;
    }
  }

  private async startTime(dir: string, boot: number | undefined): Promise<number | undefined> {
    if (boot === undefined) return undefined;
    const text = await readFile(`${dir}/stat`, 'utf8');
    // Fields after the command (which may hold spaces and parentheses): state is field 3, starttime 22.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[22 - 3]);
    return Number.isFinite(ticks) ? boot + Math.round((ticks * 1000) / this.clockTicks) : undefined;
  }

  private async toEvent(f: Finding): Promise<Event> {
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
    await this.addPackage(detail, f, primary);
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
        file: `${this.procRoot}/${f.pid}/${primary.via}`,
      },
    };
    return ev;
  }

  /** package, packages, replacedAt…: from the package history, else the new file's ctime. */
  private async addPackage(detail: Detail, f: Finding, primary: StaleFile): Promise<void> {
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
      change = this.packages?.lastChangeOf(box.name);
    } else if (this.packages) {
      const owners: string[] = [];
      for (const file of [primary, ...f.files.filter((x) => x !== primary)].slice(0, 8)) {
        const pkg = await this.packages.packageOfFile(file.path);
        if (pkg !== undefined && !owners.includes(pkg)) owners.push(pkg);
        if (file === primary && pkg !== undefined) {
          detail.package = pkg;
          change = this.packages.lastChangeOf(pkg);
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
      const now = await stat(`${this.procRoot}/${f.pid}/root${primary.path}`);
      if (f.startTime === undefined || now.ctimeMs >= f.startTime) {
        detail.replacedAt = clockTime(now.ctimeMs);
        detail.replacedAtIso = new Date(now.ctimeMs).toISOString();
        detail.replacedAtFrom = 'file-ctime';
      }
    } catch {
      // the name is gone too (a library whose file name carried the old version): time unknown
    }
  }
}
