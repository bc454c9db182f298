/**
 * PackageLogs: the package histories of Linux systems beyond Debian, read into a PackageHistory so
 * a stale-client finding can say "freerdp-libs, upgraded at 10:32" on Fedora and Arch, and
 * "org.remmina.Remmina, updated at 10:32" for a Flatpak or snap (dpkg and apt reach the history as
 * routed events instead: ProcessScan.notePackageEvent).
 *
 *   - dnf's /var/log/dnf.rpm.log and pacman's /var/log/pacman.log: read from where the last poll
 *     stopped (at start the last `initialBytes`, so an upgrade of the last days is known); a file
 *     that shrank, begins with other bytes (truncated and written again) or is another inode
 *     (logrotate) is read from its start.
 *   - Flatpak: `journalctl -o json MESSAGE_ID=c7b39b1e…` (flatpak's own history, what `flatpak
 *     history` reads), after the cursor of the last entry read; only while a Flatpak
 *     installation directory exists (/var/lib/flatpak, ~/.local/share/flatpak).
 *   - snap: `snap changes --abs-time` (snapd keeps its changes for about a day).
 * Only the histories this machine has are read: which ones is decided once, at start() or the first
 * poll (`present()`: the log file exists, a Flatpak installation exists, the snap program is
 * found), so an idle Debian agent neither stats dnf's and pacman's paths nor runs journalctl or
 * snap every minute; with none, no timer runs. A file or program that is not there is simply not
 * this kind of system: nothing is said about it. Programs run without a shell and with a
 * timeout. Every poll that learns a file-replacing change after the first calls onChange (wire
 * it to ProcessScan.scanSoon).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { messageOf } from '../errors.js';
import { parseDnfRpmLine } from '../parsers/dnf.js';
import { FLATPAK_MESSAGE_ID, parseFlatpakEntry } from '../parsers/flatpak.js';
import { parsePacmanLine } from '../parsers/pacman.js';
import type { PackageRecord } from '../parsers/pkglog.js';
import { parseSnapChangesLine } from '../parsers/snap.js';
import type { PackageHistory } from './packages.js';
import { defaultFlatpakDirs } from './sandboxed.js';

export interface PackageLogsOptions {
  history: PackageHistory;
  /** A file-replacing change was learned (not called for what the first poll finds). */
  onChange?: () => void;
  log?: { debug(m: string): void; warn(m: string): void };
  /** Default /var/log/dnf.rpm.log; '' leaves it out. */
  dnfLog?: string;
  /** Default /var/log/pacman.log; '' leaves it out. */
  pacmanLog?: string;
  /** journalctl program and arguments put before the match (default ['journalctl']); [] leaves Flatpak out. */
  journalctl?: string[];
  /** Flatpak installations (default sandboxed.ts defaultFlatpakDirs()): journalctl runs only while one exists. */
  flatpakDirs?: string[];
  /** snap program (default ['snap']); [] leaves snaps out. */
  snap?: string[];
  /** How much of a log's end the first poll reads (default 1 MiB). */
  initialBytes?: number;
  /** Poll period, ms (default 60 000). */
  intervalMs?: number;
}

interface FilePos {
  name: 'dnf' | 'pacman';
  path: string;
  parse: (line: string) => PackageRecord | undefined;
  ino?: bigint;
  /** The file's first bytes when it was first read: a log truncated and written again differs. */
  head?: Buffer;
  offset: number;
  rest: string;
}

/** A package history PackageLogs can read. */
export type History = 'dnf' | 'pacman' | 'flatpak' | 'snap';

const MAX_READ = 4 << 20;

/** A program given as a path exists there; a bare name is found on PATH. */
function onPath(cmd: string, pathVar = process.env.PATH ?? ''): boolean {
  if (cmd.includes('/')) return existsSync(cmd);
  return pathVar.split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}
const HEAD = 64;

export class PackageLogs {
  private readonly history: PackageHistory;
  private readonly onChange: () => void;
  private readonly log: { debug(m: string): void; warn(m: string): void };
  private readonly files: FilePos[] = [];
  private readonly journalctl: string[];
  private readonly flatpakDirs: string[];
  private readonly snap: string[];
  private readonly initialBytes: number;
  private readonly intervalMs: number;
  /** The histories read (present() at start or the first poll). */
  private active: Set<History> | undefined;
  private cursor: string | undefined;
  private journalGone = false;
  private snapGone = false;
  private polls = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  readonly stats = { records: 0, kept: 0 };

  constructor(opts: PackageLogsOptions) {
    this.history = opts.history;
    this.onChange = opts.onChange ?? (() => undefined);
    this.log = opts.log ?? { debug: () => undefined, warn: () => undefined };
    const dnf = opts.dnfLog ?? '/var/log/dnf.rpm.log';
    const pacman = opts.pacmanLog ?? '/var/log/pacman.log';
    if (dnf) this.files.push({ name: 'dnf', path: dnf, parse: parseDnfRpmLine, offset: 0, rest: '' });
    if (pacman) this.files.push({ name: 'pacman', path: pacman, parse: parsePacmanLine, offset: 0, rest: '' });
    this.journalctl = opts.journalctl ?? ['journalctl'];
    this.flatpakDirs = opts.flatpakDirs ?? defaultFlatpakDirs();
    this.snap = opts.snap ?? ['snap'];
    this.initialBytes = opts.initialBytes ?? 1 << 20;
    this.intervalMs = opts.intervalMs ?? 60_000;
  }

  /** Which histories this machine has: their log file, a Flatpak installation, the snap program. */
  present(): History[] {
    const found: History[] = this.files.filter((f) => existsSync(f.path)).map((f) => f.name);
    if (this.journalctl.length > 0 && this.flatpakDirs.some((d) => existsSync(d))) found.push('flatpak');
    if (this.snap.length > 0 && onPath(this.snap[0]!)) found.push('snap');
    return found;
  }

  /** Polls the histories present now, every intervalMs; returns them (none: nothing runs). */
  start(): History[] {
    if (this.timer || this.active) return [...(this.active ?? [])];
    this.active = new Set(this.present());
    if (this.active.size === 0) return [];
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
    void this.poll();
    return [...this.active];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads what is new in every history; resolves with the number of file-replacing changes kept. */
  poll(): Promise<number> {
    const run = this.chain.then(() => this.pollOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async pollOnce(): Promise<number> {
    const first = this.polls++ === 0;
    const active = (this.active ??= new Set(this.present()));
    const records: PackageRecord[] = [];
    for (const f of this.files) if (active.has(f.name)) records.push(...(await this.readFile(f, first)));
    if (active.has('flatpak')) records.push(...(await this.readJournal()));
    if (active.has('snap')) records.push(...(await this.readSnap()));
    let kept = 0;
    for (const r of records) if (this.history.recordChange(r)) kept++;
    this.stats.records += records.length;
    this.stats.kept += kept;
    if (kept > 0 && !first) this.onChange();
    return kept;
  }

  private async readFile(f: FilePos, first: boolean): Promise<PackageRecord[]> {
    let fh;
    try {
      const st = await stat(f.path, { bigint: true });
      const size = Number(st.size);
      fh = await open(f.path, 'r');
      const head = Buffer.alloc(Math.min(size, HEAD));
      await fh.read(head, 0, head.length, 0);
      const sameHead = f.head !== undefined && head.subarray(0, f.head.length).equals(f.head);
      if (f.ino !== st.ino || size < f.offset || !sameHead) {
        // first sight, rotated or truncated: from the start (the first time, only the end)
        f.offset = first && size > this.initialBytes ? size - this.initialBytes : 0;
        f.rest = '';
        f.ino = st.ino;
        f.head = head;
      } else if (head.length > f.head!.length) f.head = head;
      if (size === f.offset) return [];
      const len = Math.min(size - f.offset, MAX_READ);
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, f.offset);
      const skipFirst = f.offset > 0 && f.rest === '' && first;
      f.offset += bytesRead;
      const lines = (f.rest + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
      f.rest = lines.pop()!;
      if (skipFirst) lines.shift(); // the read began inside a line
      return lines.map(f.parse).filter((r): r is PackageRecord => r !== undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.debug(`package history ${f.path}: ${messageOf(err)}`);
      return [];
    } finally {
      await fh?.close();
    }
  }

  private async readJournal(): Promise<PackageRecord[]> {
    if (this.journalctl.length === 0 || this.journalGone || !this.flatpakDirs.some((d) => existsSync(d))) return []; // no Flatpak here
    const args = [...this.journalctl.slice(1), '-o', 'json', '--no-pager', '-q', ...(this.cursor ? [`--after-cursor=${this.cursor}`] : ['--since=-30d']), `MESSAGE_ID=${FLATPAK_MESSAGE_ID}`];
    const out = await this.run(this.journalctl[0]!, args, () => (this.journalGone = true));
    const records: PackageRecord[] = [];
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof o.__CURSOR === 'string') this.cursor = o.__CURSOR;
      const r = parseFlatpakEntry(o);
      if (r) records.push(r);
    }
    return records;
  }

  private async readSnap(): Promise<PackageRecord[]> {
    if (this.snap.length === 0 || this.snapGone) return [];
    const out = await this.run(this.snap[0]!, [...this.snap.slice(1), 'changes', '--abs-time'], () => (this.snapGone = true));
    return out.split('\n').flatMap(parseSnapChangesLine);
  }

  /** stdout of a program ('' when it failed); `gone` is called when the program does not exist. */
  private run(cmd: string, args: string[], gone: () => void): Promise<string> {
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: 15_000, maxBuffer: 16 << 20 }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') gone();
        else if (err && !stdout) this.log.debug(`package history: ${cmd} ${args.join(' ')}: ${messageOf(err)}`);
        resolve(String(stdout ?? ''));
      });
    });
  }
}
