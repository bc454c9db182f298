/**
 * ProcessScan: finds remote-access clients that still run a library or program replaced on disk
 * (the Remmina lesson: updating FreeRDP fixes CredSSP only once Remmina is restarted), the way
 * needrestart does it, and reports each as a `process.stale` Event.
 *
 * For each process of ours (uid) whose comm or exe name is in the watch list, its stale files
 * (stale-files.ts: a replaced exe, deleted or replaced mappings, old Flatpak deploys and snap
 * revisions) become one event (stale-event.ts: client, file, package, times).
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
import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import type { Event } from '../event.js';
import type { PackageHistory } from '../correlate/packages.js';
import type { SandboxOptions } from '../correlate/sandboxed.js';
import { DEFAULT_PROGRAMS, staleEvent } from './stale-event.js';
import { DELETED, staleFilesOf, type Finding } from './stale-files.js';

export { CLIENTS, clockTime, DEFAULT_PROGRAMS } from './stale-event.js';
export { decodeDev, isIgnoredPath, parseMapsLine, type Finding, type MapsEntry, type StaleFile } from './stale-files.js';


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

const PARALLEL = 16;

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
      const ev = await staleEvent(finding, this.procRoot, this.packages);
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
    const files = await staleFilesOf(dir, exe, exeDeleted, this.sandbox, (m) => this.log.debug(m));
    return { pid, name, comm, exe, exeDeleted, startTime: await this.startTime(dir, boot), files };
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

  private async startTime(dir: string, boot: number | undefined): Promise<number | undefined> {
    if (boot === undefined) return undefined;
    const text = await readFile(`${dir}/stat`, 'utf8');
    // Fields after the command (which may hold spaces and parentheses): state is field 3, starttime 22.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[22 - 3]);
    return Number.isFinite(ticks) ? boot + Math.round((ticks * 1000) / this.clockTicks) : undefined;
  }
}
