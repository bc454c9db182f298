/**
 * FileTail: follows a file, or every file matching a glob, and hands on each complete line as a
 * RawLine. Knows how bytes arrive, nothing about programs.
 *
 *   const store = new CheckpointStore(); await store.load();
 *   const tail = new FileTail({ path: '/var/log/auth.log', checkpoints: store, log });
 *   await tail.start(async (line) => { await pipeline.handle(line); });   // awaited: backpressure
 *   …
 *   await tail.stop();                                                      // saves positions
 *
 * How changes are seen: chokidar 5 watches the directory (or its nearest existing ancestor when
 * it does not exist yet), every event triggers a scan and a second scan `recheckMs` later
 * (chokidar drops a change within 50 ms of the previous one), and a safety scan runs every
 * `pollMs` anyway. While the watcher works and nothing happens (no event, no line, no rotated file
 * still being read), the pause between safety scans doubles up to `maxPollMs`, so an idle agent
 * with many sources costs no measurable CPU; any event or line brings it back to `pollMs`.
 * Without a working watcher (watch: false, or a watcher error such as the inotify limit) it
 * stays at `pollMs`. A scan stats each path and compares device and inode with the open file:
 *
 * - append: read from the saved position to the end, complete lines only;
 * - rename + create, delete + create, symlink retargeted: the old file stays open and is read
 *   to its end, including late writes by its old writer, until it has been quiet for
 *   `rotatedQuietMs`; then the new file is read from its start (old lines come first);
 * - truncation and copytruncate (even regrown past the old offset): size below the read
 *   position or a changed fingerprint of the first bytes: read again from 0; NUL bytes (the hole
 *   a writer keeping its offset leaves) are dropped;
 * - missing file or directory: reported once (SOURCE_MISSING, info), read from its start when it
 *   appears; permission denied: reported once (SOURCE_UNREADABLE with the fix), retried with
 *   backoff; other errors: SOURCE_FAILED, retried with backoff. Other files go on.
 *
 * Positions (checkpoints): device, inode, offset of the first undelivered line, fingerprint, per
 * file, saved under key `sourceId` after the sink's promise for a line resolved. First start
 * (no saved state for this source): existing files are read from their end (the start of a last
 * line without newline, so a waiting prompt is seen), unless `fromStart`; files appearing later
 * from their start. Restart: resume exactly; a file rotated meanwhile is found by device and
 * inode among its siblings (`auth.log.1`) and its rest read once before the new file.
 *
 * Partial lines: a last line without newline is delivered as `partial: true` after
 * `partialFlushMs` without growth (a prompt waiting for input); when the rest arrives only the
 * rest is delivered with `continuation: true`. The saved offset stays at the line's start, so
 * after a restart the whole line arrives once as a normal line.
 */
import { watch, type FSWatcher } from 'chokidar';
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Program } from '../event.js';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import type { CheckpointStore, JsonValue } from './checkpoint.js';
import { Backoff } from './backoff.js';
import type { EnvelopeHint, RawLine } from './raw-line.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import { expandGlob, expandHome, globBase, hasGlob, nearestExistingDir } from './tail-glob.js';
import { COARSE_CLOCK_MS, TailedFile, type DeliveredPiece, type FileState } from './tailed-file.js';
import { byFingerprint, byInode, idOf, siblings, unseen, type Found } from './rotation-finder.js';
import { isGzipName } from './gzip-file.js';

/**
 * A rotated sibling of `watched`, compressed (`auth.log.1.gz`, read through gunzip) or not. Its
 * own path is kept as its real path: a restart looks for it beside that path (a symlink's old
 * target is not beside the link; before, such a file was forgotten after a second restart).
 */
async function openSibling(path: string, from: FileState | 'start' | { at: number }, maxLineBytes: number, watched: string): ReturnType<typeof TailedFile.open> {
  const opened = await TailedFile.open(path, from, maxLineBytes, { gzip: isGzipName(path) });
  opened.file.rotated = true;
  opened.file.path = watched;
  if (path !== watched) opened.file.real = path;
  return opened;
}

/** Awaited for every line: resolve after the line's alerts are handled (that is the backpressure). */
export type LineSink = (line: RawLine) => Promise<void>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type SourceLog = (level: LogLevel, msg: string, meta?: Record<string, unknown>) => void;

export interface FileTailOptions {
  /** A file path or a glob (`*`, `?`, `[..]`); `~` is expanded. */
  path: string;
  /** Default `file:<path>`; also the checkpoint key. */
  sourceId?: string;
  program?: Program;
  envelope?: EnvelopeHint;
  checkpoints: CheckpointStore;
  /** Read files that exist at the first start from their beginning (default: from their end). */
  fromStart?: boolean;
  /** Periodic scan interval (default 1000 ms). */
  pollMs?: number;
  /** Longest pause between safety scans while the watcher works and all is quiet (default 30 s). */
  maxPollMs?: number;
  /** Scan again this long after the last change event (default 150 ms). */
  recheckMs?: number;
  /** Deliver a line with no newline yet as partial after this long without growth (default 500 ms; 0 = never). */
  partialFlushMs?: number;
  /** Keep reading a rotated or deleted file until it has been quiet this long (default 30 s). */
  rotatedQuietMs?: number;
  /** Longer lines are cut, with a marker (default 1 MiB). */
  maxLineBytes?: number;
  /** Bytes read from one file before the next file gets its turn (default 1 MiB). */
  readBudgetBytes?: number;
  /** Use chokidar events (default true); polling alone is enough, only slower. */
  watch?: boolean;
  log: SourceLog;
  /** Told once per problem (missing, unreadable, failed) until it is resolved. */
  onProblem?: (err: ConnwatchError) => void;
}

export interface FileTailStatus {
  sourceId: string;
  pattern: string;
  running: boolean;
  linesDelivered: number;
  /** Pause before the next safety scan (grows while all is quiet; see the header). */
  safetyScanMs: number;
  files: Array<{ path: string; dev: number; ino: number; offset: number; size: number; rotated: boolean; truncations: number }>;
  problems: Array<{ path: string; code: string; message: string }>;
}

interface Tracked {
  path: string;
  current: TailedFile | undefined;
  draining: TailedFile[];
  backoff: Backoff;
  problem: ConnwatchError | undefined;
  /** Seen at the first scan of a first start: begins at the end. */
  initial: boolean;
  /** A file was open at this path before: its vanishing is rotation, not news. */
  everOpened: boolean;
  /** Files (dev:ino) opened for this path in this run: never read again as an unseen generation. */
  seen: Set<string>;
  /** Birth time and real path of the newest file opened at the path: where unseen generations start. */
  lastBirth: number | undefined;
  lastReal: string | undefined;
}

const CHECKPOINT_SCHEMA = 1;

export class FileTail {
  readonly sourceId: string;
  private readonly pattern: string;
  private readonly opts: Required<Pick<FileTailOptions, 'pollMs' | 'maxPollMs' | 'recheckMs' | 'partialFlushMs' | 'rotatedQuietMs' | 'maxLineBytes' | 'readBudgetBytes'>> & FileTailOptions;
  private readonly tracked = new Map<string, Tracked>();
  private sink: LineSink | undefined;
  private watcher: FSWatcher | undefined;
  private watchedDir: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Pause before the next safety scan (see the header). */
  private pollDelay = 0;
  /** A watcher event came since the last safety scan. */
  private stirred = false;
  /** The watcher reported an error: it may miss changes, so polling stays fast. */
  private watcherFailed = false;
  private recheckTimer: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  private running = false;
  private scanning: Promise<void> | undefined;
  private again = false;
  private saved: FileState[] = [];
  private firstStart = false;
  private firstScanDone = false;
  private delivered = 0;
  private openOnly = false;
  /** The descriptor limit was hit: told once per tail (not once per file), until an open works again. */
  private fdLimitTold = false;
  /** The last scan failure told (a failing scan repeats every second). */
  private scanErrorTold = '';

  constructor(options: FileTailOptions) {
    this.pattern = resolve(expandHome(options.path));
    this.sourceId = options.sourceId ?? `file:${this.pattern}`;
    this.opts = {
      pollMs: 1000,
      maxPollMs: 30_000,
      recheckMs: 150,
      partialFlushMs: 500,
      rotatedQuietMs: 30_000,
      maxLineBytes: DEFAULT_MAX_LINE_BYTES,
      readBudgetBytes: 1 << 20,
      ...options,
    };
  }

  /** Begin tailing; resolves after the first scan (existing files opened, backlog started). */
  async start(sink: LineSink): Promise<void> {
    if (this.running) throw new ConnwatchError('INTERNAL', `${this.sourceId} is already started`);
    this.sink = sink;
    this.running = true;
    this.loadSaved();
    // First scan: open what exists (and report what does not); reading goes on in the background.
    this.openOnly = true;
    try {
      await this.scan();
    } finally {
      this.openOnly = false;
    }
    this.firstScanDone = true;
    // A first start writes its positions at once: killed before the first flush, the next start
    // would be a first start again and never look for the copies and renamed files made meanwhile.
    if (this.firstStart) {
      this.saveState();
      await this.opts.checkpoints.flush();
    }
    this.kick();
    this.pollDelay = this.opts.pollMs;
    this.schedulePoll();
    if (this.opts.watch !== false) await this.ensureWatcher();
  }

  /** Stop watching, finish the line in hand, save positions, close files. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pollTimer);
    clearTimeout(this.recheckTimer);
    clearTimeout(this.partialTimer);
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
    while (this.scanning) await this.scanning;
    // One last look without reading: a file that replaced the one we hold is recorded (at 0),
    // so that if it is rotated away before the next start, its lines are still found.
    this.openOnly = true;
    try {
      await this.scanOnce(true);
    } catch (err) {
      this.opts.log('debug', `${this.sourceId}: final scan failed: ${messageOf(err)}`, { source: this.sourceId });
    } finally {
      this.openOnly = false;
    }
    this.saveState();
    await this.opts.checkpoints.flush();
    for (const t of this.tracked.values()) {
      await t.current?.close();
      for (const d of t.draining) await d.close();
    }
    this.tracked.clear();
  }

  status(): FileTailStatus {
    const files: FileTailStatus['files'] = [];
    const problems: FileTailStatus['problems'] = [];
    for (const t of this.tracked.values()) {
      for (const f of [...t.draining, ...(t.current ? [t.current] : [])]) {
        files.push({ path: f.path, dev: f.dev, ino: f.ino, offset: f.offset, size: f.size, rotated: f.rotated, truncations: f.truncations });
      }
      if (t.problem) problems.push({ path: t.path, code: t.problem.code, message: t.problem.message });
    }
    return { sourceId: this.sourceId, pattern: this.pattern, running: this.running, linesDelivered: this.delivered, safetyScanMs: this.pollDelay, files, problems };
  }

  /** Ask for a scan now (and one more shortly after), e.g. on a change event. */
  kick(recheck = false): void {
    if (!this.running) return;
    if (recheck) {
      this.stirred = true;
      if (this.pollDelay > this.opts.pollMs) {
        this.pollDelay = this.opts.pollMs;
        this.schedulePoll();
      }
      clearTimeout(this.recheckTimer);
      this.recheckTimer = setTimeout(() => this.kick(), this.opts.recheckMs);
    }
    void this.scan();
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    if (!this.running) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.pollDelay);
  }

  /** The safety scan; then the next one sooner or later (see the header). */
  private async poll(): Promise<void> {
    const delivered = this.delivered;
    const stirred = this.stirred;
    this.stirred = false;
    await this.scan();
    let draining = false;
    for (const t of this.tracked.values()) if (t.draining.length > 0) draining = true;
    const watched = this.opts.watch !== false && this.watcher !== undefined && !this.watcherFailed;
    const quiet = watched && !stirred && !draining && this.delivered === delivered;
    this.pollDelay = quiet ? Math.min(this.pollDelay * 2, this.opts.maxPollMs) : this.opts.pollMs;
    this.schedulePoll();
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.again = false;
          await this.scanOnce();
        } while (this.again && this.running);
      } catch (err) {
        const e = errnoCode(err) === 'EMFILE' || errnoCode(err) === 'ENFILE' ? toSourceError(this.pattern, err).describe() : messageOf(err);
        if (e !== this.scanErrorTold) this.opts.log('error', `${this.sourceId}: scan failed: ${e}`, { source: this.sourceId });
        this.scanErrorTold = e;
      } finally {
        this.scanning = undefined;
      }
    };
    this.scanning = run();
    return this.scanning;
  }

  private async scanOnce(final = false): Promise<void> {
    const paths = await expandGlob(this.pattern);
    const seen = new Set(paths);
    for (const p of paths) {
      if (!this.tracked.has(p)) {
        this.tracked.set(p, { path: p, current: undefined, draining: [], backoff: new Backoff(1000, 60_000), problem: undefined, initial: !this.firstScanDone && this.firstStart, everOpened: false, seen: new Set(), lastBirth: undefined, lastReal: undefined });
      }
    }
    for (const t of [...this.tracked.values()]) {
      if (!this.running && this.firstScanDone && !final) return;
      await this.checkPath(t, seen.has(t.path));
      if (!seen.has(t.path) && !t.current && t.draining.length === 0) this.tracked.delete(t.path);
    }
    if (!this.firstScanDone) await this.adoptLeftovers();
    if (this.opts.watch !== false && this.firstScanDone) await this.ensureWatcher();
    this.schedulePartialCheck();
  }

  /**
   * After the first scan of a restart: saved files whose path is gone (rotated away while we
   * were stopped, no new file yet) are looked for among the siblings; the rest are forgotten,
   * except for paths that exist but could not be opened (kept for when they can).
   */
  private async adoptLeftovers(): Promise<void> {
    const keep: FileState[] = [];
    for (const s of this.saved) {
      const t = this.tracked.get(s.path);
      if (t?.problem && t.problem.code !== 'SOURCE_MISSING') {
        keep.push(s);
        continue;
      }
      const found = await this.findRotated(s.path, s);
      if (!found) continue;
      const owner: Tracked = t ?? { path: s.path, current: undefined, draining: [], backoff: new Backoff(1000, 60_000), problem: undefined, initial: false, everOpened: true, seen: new Set(), lastBirth: undefined, lastReal: undefined };
      owner.draining.push(found);
      owner.seen.add(idOf(found));
      this.tracked.set(s.path, owner);
      // later generations rotated away too, before any new file took the name
      await this.addUnseen(owner, s.birth, Number.MAX_SAFE_INTEGER, s.real);
      await this.checkPath(owner, false);
    }
    this.saved = keep;
    this.saveState();
  }

  private async checkPath(t: Tracked, matched: boolean): Promise<void> {
    const now = Date.now();
    // 1. Is the file at the path still the one we hold?
    let st: Awaited<ReturnType<typeof stat>> | undefined;
    if (matched) {
      try {
        st = await stat(t.path);
        if (!st.isFile()) throw Object.assign(new Error(`${t.path} is not a regular file`), { code: 'EISDIR' });
      } catch (err) {
        st = undefined;
        this.problem(t, err);
      }
    }
    if (t.current && (!st || st.dev !== t.current.dev || st.ino !== t.current.ino)) {
      t.current.rotated = true;
      t.draining.push(t.current);
      this.opts.log('debug', `${t.path}: rotated, reading the rest of the old file`, { source: this.sourceId, ino: t.current.ino });
      t.current = undefined;
      this.saveState();
    }
    // 2. Open the current file (this finds files rotated while we were stopped).
    if (!t.current && st && t.backoff.ready(now)) {
      try {
        const prevBirth = t.lastBirth;
        const prevReal = t.lastReal;
        t.current = await this.openCurrent(t);
        t.seen.add(idOf(t.current));
        // files that held the name between the last one and this one (created and rotated away
        // before a scan saw them, e.g. while a backlog was read): read them first
        if (prevBirth !== undefined) await this.addUnseen(t, prevBirth, t.current.birth, prevReal);
        t.lastBirth = t.current.birth;
        t.lastReal = t.current.real;
        t.everOpened = true;
        t.backoff.reset();
        this.fdLimitTold = false;
        this.resolved(t);
      } catch (err) {
        t.backoff.fail(now);
        this.problem(t, err);
      }
    }
    // 3. The rest of older files first (rotated, deleted, saved before a restart).
    for (const d of [...t.draining]) {
      try {
        await this.readFile(d, t);
      } catch (err) {
        this.opts.log('warn', `${t.path}: reading the rotated file failed: ${messageOf(err)}`, { source: this.sourceId });
        d.lastGrowthAt = 0;
      }
      if (this.running && !this.openOnly && Date.now() - d.lastGrowthAt >= this.opts.rotatedQuietMs) {
        await d.flushPartial(0, (p) => this.deliver(d, p));
        this.opts.log('debug', `${t.path}: done with the rotated file (inode ${d.ino}) at ${d.offset}`, { source: this.sourceId });
        await d.close();
        t.draining.splice(t.draining.indexOf(d), 1);
        this.saveState();
      }
    }
    if (t.current) {
      try {
        await this.readFile(t.current, t);
      } catch (err) {
        this.problem(t, err);
      }
    }
  }

  private async readFile(f: TailedFile, t: Tracked): Promise<void> {
    if (this.openOnly) return;
    const truncations = f.truncations;
    const n = await f.read(this.opts.readBudgetBytes, (p) => this.deliver(f, p), () => this.running);
    // a whole budget read, or a rewrite found (its copy's rest first, then the file again from 0)
    if (n >= this.opts.readBudgetBytes || f.truncations !== truncations) this.again = true;
    // each line's position is saved as it is delivered, before the reader moves past it: the
    // last line of a read is saved here, or a quiet file would keep it unsaved (read again later)
    if (n > 0) this.saveState();
    if (this.opts.partialFlushMs > 0 && t.current === f) await f.flushPartial(this.opts.partialFlushMs, (p) => this.deliver(f, p));
  }

  private async openCurrent(t: Tracked): Promise<TailedFile> {
    const savedHere = this.saved.filter((s) => s.path === t.path);
    this.saved = this.saved.filter((s) => s.path !== t.path);
    // Saved files of this path: the one still at the path resumes; the others are looked for
    // among the siblings (rotated while we were stopped) and their rest read first.
    let from: 'start' | 'end' | FileState = t.initial && !this.firstScanDone && !this.opts.fromStart ? 'end' : 'start';
    const st = await stat(t.path);
    let newestSaved: FileState | undefined;
    for (const s of savedHere) {
      if ((s.birth ?? 0) >= (newestSaved?.birth ?? 0)) newestSaved = s;
      if (s.dev === st.dev && s.ino === st.ino) {
        from = s;
        continue;
      }
      const found = await this.findRotated(t.path, s);
      if (found) {
        t.draining.push(found);
        t.seen.add(idOf(found));
      }
    }
    const { file, resumed } = await TailedFile.open(t.path, from, this.opts.maxLineBytes);
    try {
      const real = await realpath(t.path);
      if (real !== t.path) file.real = real;
    } catch {
      // gone meanwhile: the next scan sees it
    }
    file.onRewrite = async (before) => {
      file.copiesAfter = await this.readCopy(t, before);
    };
    file.onUnknownChange = async () => {
      const draining = t.draining.length;
      file.copiesAfter = await this.readCopy(t, undefined, file.copiesAfter);
      return t.draining.length > draining;
    };
    if (typeof from === 'object' && !resumed) {
      this.opts.log('info', `${t.path}: not the file saved before (rewritten or a reused inode); reading it from the start`, { source: this.sourceId });
      file.copiesAfter = await this.readCopy(t, from); // copytruncate while stopped: the copy holds the rest
    } else if (typeof from === 'object' && from.fpLen === 0) {
      // saved while nothing of the file was known (just truncated): copied and truncated again since?
      file.copiesAfter = await this.readCopy(t, undefined, from.copiesAfter);
    }
    // generations born and rotated away while connwatch was stopped
    if (newestSaved && from !== newestSaved) await this.addUnseen(t, newestSaved.birth, file.birth, newestSaved.real);
    return file;
  }

  /** The saved file, wherever it went: by device and inode, else a copy by its fingerprint (copytruncate, compressed twin aside). */
  private async findRotated(path: string, s: FileState): Promise<TailedFile | undefined> {
    const candidates = await siblings(path, s.real);
    const same = byInode(candidates, s);
    try {
      if (same) {
        // Same inode but other first bytes: truncated and rewritten since (or, rarely, a reused
        // inode): read it from its start; a repeat is better than a loss.
        const { file, resumed } = await openSibling(same.path, s, this.opts.maxLineBytes, path);
        this.opts.log('info', `${path}: reading ${resumed ? 'the rest of' : 'all of (rewritten since)'} ${same.path}, rotated while connwatch was stopped`, { source: this.sourceId });
        return file;
      }
      const copy = await byFingerprint(candidates, s, new Set());
      if (!copy) return undefined;
      const { file } = await openSibling(copy.path, { at: s.offset }, this.opts.maxLineBytes, path);
      this.opts.log('info', `${path}: reading the rest of ${copy.path}, a copy of the file read before connwatch stopped`, { source: this.sourceId });
      return file;
    } catch {
      return undefined; // vanished meanwhile
    }
  }

  /**
   * After a truncation (copytruncate): the copy that starts like the file did is read from where
   * reading stopped, and copies born since the last one handled that were never read (copied and
   * truncated again before a read saw the file) from their start; lines also read from the file
   * itself get the same ids and are dropped. Returns the new lower bound for copies.
   */
  private async readCopy(t: Tracked, before: FileState | undefined, copiesAfter = before?.copiesAfter): Promise<number> {
    const since = Date.now() - COARSE_CLOCK_MS;
    // an unknown change looks beside the path only: a symlink's next target is no copy
    const candidates = await siblings(t.path, before?.real);
    const copy = before ? await byFingerprint(candidates, before, new Set(t.seen)) : undefined;
    const add: Array<{ found: Found; from: { at: number } | 'start' }> = [];
    if (copy && before) add.push({ found: copy, from: { at: before.offset } });
    const after = copiesAfter ?? copy?.st.birthtimeMs;
    const open = new Set([...t.seen, ...t.draining.map(idOf), ...(t.current ? [idOf(t.current)] : []), ...(copy ? [idOf(copy.st)] : [])]);
    for (const c of unseen(candidates, after, Date.now() + 1, open)) add.push({ found: c, from: 'start' });
    add.sort((a, b) => a.found.st.birthtimeMs - b.found.st.birthtimeMs);
    for (const { found, from } of add) {
      try {
        const { file } = await openSibling(found.path, from, this.opts.maxLineBytes, t.path);
        t.seen.add(idOf(file));
        t.draining.push(file);
        this.again = true;
        this.opts.log('info', from === 'start' ? `${t.path}: truncated; reading ${found.path}, a copy made before connwatch read the file` : `${t.path}: truncated; reading what went only into its copy ${found.path}`, { source: this.sourceId });
      } catch {
        // vanished meanwhile
      }
    }
    return since;
  }

  /** Files born between two files seen at the path (see rotation-finder.ts), read from their start. */
  private async addUnseen(t: Tracked, after: number | undefined, before: number, real: string | undefined): Promise<void> {
    if (!after) return;
    const open = new Set([...t.seen, ...t.draining.map(idOf), ...(t.current ? [idOf(t.current)] : [])]);
    for (const c of unseen(await siblings(t.path, real), after, before, open)) {
      try {
        const { file } = await openSibling(c.path, 'start', this.opts.maxLineBytes, t.path);
        t.seen.add(idOf(file));
        t.draining.push(file);
        this.opts.log('info', `${t.path}: reading ${c.path}, which held the name between two files connwatch saw`, { source: this.sourceId });
      } catch {
        // vanished meanwhile
      }
    }
  }

  private async deliver(f: TailedFile, p: DeliveredPiece): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    const line: RawLine = {
      sourceId: this.sourceId,
      text: p.text,
      receivedAt: Date.now(),
      position: { source: this.sourceId, file: f.path, offset: p.offset },
    };
    if (p.line !== undefined) line.position.line = p.line;
    if (p.partial) line.partial = true;
    if (p.continuation) line.continuation = true;
    if (this.opts.program) line.program = this.opts.program;
    if (this.opts.envelope) line.envelope = this.opts.envelope;
    try {
      await sink(line);
    } catch (err) {
      this.opts.log('error', `${this.sourceId}: the pipeline failed on a line of ${f.path}: ${messageOf(err)}`, { source: this.sourceId, offset: p.offset });
    }
    this.delivered += 1;
    if (!p.partial) this.saveState();
  }

  private loadSaved(): void {
    const v = this.opts.checkpoints.get(this.sourceId);
    this.firstStart = v === undefined && !this.opts.checkpoints.lost;
    this.saved = [];
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    const files = (v as { files?: unknown }).files;
    if (!Array.isArray(files)) return;
    for (const f of files) {
      if (typeof f !== 'object' || f === null) continue;
      const o = f as Record<string, unknown>;
      if (typeof o.path === 'string' && typeof o.dev === 'number' && typeof o.ino === 'number' && typeof o.offset === 'number' && typeof o.fp === 'string' && typeof o.fpLen === 'number') {
        const s: FileState = { path: o.path, dev: o.dev, ino: o.ino, offset: o.offset, fp: o.fp, fpLen: o.fpLen };
        if (typeof o.line === 'number') s.line = o.line;
        if (o.rotated === true) s.rotated = true;
        if (typeof o.birth === 'number') s.birth = o.birth;
        if (typeof o.real === 'string') s.real = o.real;
        if (typeof o.copiesAfter === 'number') s.copiesAfter = o.copiesAfter;
        this.saved.push(s);
      }
    }
  }

  private saveState(): void {
    const files: JsonValue[] = [];
    for (const t of this.tracked.values()) {
      for (const f of [...t.draining, ...(t.current ? [t.current] : [])]) files.push({ ...f.state() });
    }
    // Saved files not looked at yet (their path has not appeared again) are kept.
    for (const s of this.saved) files.push({ ...s });
    this.opts.checkpoints.set(this.sourceId, { v: CHECKPOINT_SCHEMA, files });
  }

  private problem(t: Tracked, err: unknown): void {
    const e = toSourceError(t.path, err);
    if (t.problem && t.problem.code === e.code) return;
    t.problem = e;
    const fds = errnoCode(err) === 'EMFILE' || errnoCode(err) === 'ENFILE';
    if (fds && this.fdLimitTold) return;
    if (fds) this.fdLimitTold = true;
    if (e.code === 'SOURCE_MISSING' && t.everOpened) {
      this.opts.log('debug', `${t.path}: gone (rotated or deleted); waiting for the new file`, { source: this.sourceId });
      return;
    }
    this.opts.log(e.code === 'SOURCE_MISSING' ? 'info' : 'warn', e.describe(), { source: this.sourceId, code: e.code, path: t.path });
    this.opts.onProblem?.(e);
  }

  private resolved(t: Tracked): void {
    if (!t.problem) return;
    this.opts.log('info', `${t.path}: readable now`, { source: this.sourceId });
    t.problem = undefined;
  }

  private schedulePartialCheck(): void {
    if (!this.running || this.opts.partialFlushMs <= 0 || this.partialTimer) return;
    let due = Infinity;
    for (const t of this.tracked.values()) {
      if (t.current?.hasPending) due = Math.min(due, t.current.lastGrowthAt + this.opts.partialFlushMs);
    }
    if (due === Infinity) return;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.kick();
    }, Math.max(10, due - Date.now() + 5));
  }

  private async ensureWatcher(): Promise<void> {
    if (!this.running) return;
    const { base, rest } = globBase(this.pattern);
    const dir = await nearestExistingDir(base);
    if (dir === this.watchedDir) return;
    await this.watcher?.close().catch(() => undefined);
    this.watchedDir = dir;
    const depth = dir === base ? Math.max(0, rest.length - 1) : 0;
    const w = watch(dir, { ignoreInitial: true, depth, persistent: true, ignorePermissionErrors: true });
    w.on('all', () => this.kick(true));
    w.on('error', (err) => {
      this.watcherFailed = true;
      this.opts.log('debug', `${this.sourceId}: watcher: ${messageOf(err)}`, { source: this.sourceId });
    });
    this.watcher = w;
    if (!hasGlob(this.pattern) && dir !== base) {
      this.opts.log('debug', `${this.sourceId}: ${base} does not exist yet; watching ${dir}`, { source: this.sourceId });
    }
  }
}

/** The error a person sees for a file that cannot be read, with what to do. */
export function toSourceError(path: string, err: unknown): ConnwatchError {
  const code = errnoCode(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ConnwatchError('SOURCE_MISSING', `${path} does not exist (yet).`, {
      hint: 'connwatch reads it from its start as soon as it appears; nothing to do unless the path is wrong.',
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    const hint = path.startsWith('/var/log/')
      ? 'Add yourself to the "adm" group (sudo usermod -aG adm $USER), then log in again; or let connwatch read sshd from the journal.'
      : `Make the file readable for your user (ls -l ${path}; chmod or group membership), then connwatch picks it up by itself.`;
    return new ConnwatchError('SOURCE_UNREADABLE', `Cannot read ${path} (permission denied).`, { hint, cause: err });
  }
  if (code === 'EMFILE' || code === 'ENFILE') {
    return new ConnwatchError('SOURCE_FAILED', `Too many open files: cannot open ${path} (and maybe more files of this source) within the open-file limit (ulimit -n).`, {
      hint: 'Raise the limit (the systemd unit sets LimitNOFILE=65536; in a shell: ulimit -n 65536 before connwatch run) or narrow the path pattern. connwatch keeps reading the files it has open and opens the others when it can.',
      cause: err,
    });
  }
  return new ConnwatchError('SOURCE_FAILED', `Cannot read ${path}: ${messageOf(err)}.`, {
    hint: 'connwatch retries with backoff; check the path and the disk.',
    cause: err,
  });
}
