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
 * When it looks: scan-timing.ts (watcher events, a recheck, safety scans spaced out while all
 * is quiet). A scan stats each path and compares device and inode with the open file:
 *
 * - append: read from the saved position to the end, complete lines only;
 * - rename + create, delete + create, symlink retargeted: the old file stays open and is read
 *   to its end, including late writes by its old writer, until it has been quiet for
 *   `rotatedQuietMs`; then the new file is read from its start (old lines come first);
 * - truncation and copytruncate (even regrown past the old offset): size below the read
 *   position or a changed fingerprint of the first bytes: read again from 0, after the rest in
 *   the copy (generations.ts); NUL bytes (the hole a writer keeping its offset leaves) are dropped;
 * - missing file or directory: reported once (SOURCE_MISSING, info), read from its start when it
 *   appears; permission denied: reported once (SOURCE_UNREADABLE with the fix), retried with
 *   backoff; other errors: SOURCE_FAILED, retried with backoff. Other files go on.
 *
 * Positions (checkpoints): device, inode, offset of the first undelivered line, fingerprint, per
 * file, saved under key `sourceId` after the sink's promise for a line resolved. First start
 * (no saved state for this source): existing files are read from their end (the start of a last
 * line without newline, so a waiting prompt is seen), unless `fromStart`; files appearing later
 * from their start. Restart: resume exactly; a file rotated meanwhile is found among its
 * siblings (generations.ts: by inode, by fingerprint, compressed too) and its rest read once
 * before the new file. Shapes and saved state: file-tail-state.ts; errors: source-error.ts.
 *
 * Partial lines: a last line without newline is delivered as `partial: true` after
 * `partialFlushMs` without growth (a prompt waiting for input); when the rest arrives only the
 * rest is delivered with `continuation: true`. The saved offset stays at the line's start, so
 * after a restart the whole line arrives once as a normal line.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import { expandGlob, expandHome } from './tail-glob.js';
import { ScanTiming } from './scan-timing.js';
import { TailedFile, type DeliveredPiece, type FileState } from './tailed-file.js';
import { idOf } from './rotation-finder.js';
import { Generations } from './generations.js';
import { newTracked, statusOf, TAIL_DEFAULTS, TailPositions, toRawLine, type FileTailOptions, type FileTailStatus, type LineSink, type Tracked } from './file-tail-state.js';
import { SourceProblems, toSourceError } from './source-error.js';

export type { FileTailOptions, FileTailStatus, LineSink, LogLevel, SourceLog } from './file-tail-state.js';
export { toSourceError } from './source-error.js';

export class FileTail {
  readonly sourceId: string;
  private readonly pattern: string;
  private readonly opts: typeof TAIL_DEFAULTS & FileTailOptions;
  private readonly tracked = new Map<string, Tracked>();
  private readonly generations: Generations;
  private readonly timing: ScanTiming;
  private readonly problems: SourceProblems;
  private readonly positions: TailPositions;
  private sink: LineSink | undefined;
  private running = false;
  private firstScanDone = false;
  private delivered = 0;
  private openOnly = false;
  /** The last scan failure told (a failing scan repeats every second). */
  private scanErrorTold = '';

  constructor(options: FileTailOptions) {
    this.pattern = resolve(expandHome(options.path));
    this.sourceId = options.sourceId ?? `file:${this.pattern}`;
    this.opts = { ...TAIL_DEFAULTS, ...options };
    this.timing = new ScanTiming(this.pattern, this.sourceId, this.opts, {
      running: () => this.running,
      scanOnce: () => this.scanOnce(),
      scanFailed: (err) => this.scanFailed(err),
      delivered: () => this.delivered,
      draining: () => [...this.tracked.values()].some((t) => t.draining.length > 0),
      partialDue: () => {
        let due = Infinity;
        for (const t of this.tracked.values()) if (t.current?.hasPending) due = Math.min(due, t.current.lastGrowthAt + this.opts.partialFlushMs);
        return due;
      },
    });
    this.problems = new SourceProblems(this.sourceId, this.opts.log, this.opts.onProblem);
    this.generations = new Generations({ sourceId: this.sourceId, maxLineBytes: this.opts.maxLineBytes, log: this.opts.log, again: () => this.timing.again() });
    this.positions = new TailPositions(this.opts.checkpoints, this.sourceId);
  }

  /** Begin tailing; resolves after the first scan (existing files opened, backlog started). */
  async start(sink: LineSink): Promise<void> {
    if (this.running) throw new ConnwatchError('INTERNAL', `${this.sourceId} is already started`);
    this.sink = sink;
    this.running = true;
    this.positions.load();
    // First scan: open what exists (and report what does not); reading goes on in the background.
    this.openOnly = true;
    try {
      await this.timing.scan();
    } finally {
      this.openOnly = false;
    }
    this.firstScanDone = true;
    // A first start writes its positions at once: killed before the first flush, the next start
    // would be a first start again and never look for the copies and renamed files made meanwhile.
    if (this.positions.firstStart) {
      this.saveState();
      await this.opts.checkpoints.flush();
    }
    this.kick();
    await this.timing.start();
  }

  /** Ask for a scan now (and one more shortly after, on a change event). */
  kick(recheck = false): void {
    this.timing.kick(recheck);
  }

  /** Stop watching, finish the line in hand, save positions, close files. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.timing.stop();
    await this.timing.idle();
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
    const { files, problems } = statusOf(this.tracked.values());
    return { sourceId: this.sourceId, pattern: this.pattern, running: this.running, linesDelivered: this.delivered, safetyScanMs: this.timing.safetyScanMs, files, problems };
  }

  private scanFailed(err: unknown): void {
    const e = errnoCode(err) === 'EMFILE' || errnoCode(err) === 'ENFILE' ? toSourceError(this.pattern, err).describe() : messageOf(err);
    if (e !== this.scanErrorTold) this.opts.log('error', `${this.sourceId}: scan failed: ${e}`, { source: this.sourceId });
    this.scanErrorTold = e;
  }

  private async scanOnce(final = false): Promise<void> {
    const paths = await expandGlob(this.pattern);
    const seen = new Set(paths);
    for (const p of paths) {
      if (!this.tracked.has(p)) {
        this.tracked.set(p, newTracked(p, !this.firstScanDone && this.positions.firstStart));
      }
    }
    for (const t of [...this.tracked.values()]) {
      if (!this.running && this.firstScanDone && !final) return;
      await this.checkPath(t, seen.has(t.path));
      if (!seen.has(t.path) && !t.current && t.draining.length === 0) this.tracked.delete(t.path);
    }
    if (!this.firstScanDone) await this.adoptLeftovers();
    if (this.opts.watch !== false && this.firstScanDone) await this.timing.ensureWatcher();
    this.timing.schedulePartialCheck();
  }

  /**
   * After the first scan of a restart: saved files whose path is gone (rotated away while we
   * were stopped, no new file yet) are looked for among the siblings; the rest are forgotten,
   * except for paths that exist but could not be opened (kept for when they can).
   */
  private async adoptLeftovers(): Promise<void> {
    const keep: FileState[] = [];
    for (const s of this.positions.saved) {
      const t = this.tracked.get(s.path);
      if (t?.problem && t.problem.code !== 'SOURCE_MISSING') {
        keep.push(s);
        continue;
      }
      const owner = await this.generations.adopt(s, t);
      if (!owner) continue;
      this.tracked.set(s.path, owner);
      await this.checkPath(owner, false);
    }
    this.positions.saved = keep;
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
        this.problems.report(t, err);
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
        if (prevBirth !== undefined) await this.generations.addUnseen(t, prevBirth, t.current.birth, prevReal);
        t.lastBirth = t.current.birth;
        t.lastReal = t.current.real;
        t.everOpened = true;
        t.backoff.reset();
        this.problems.openWorked();
        this.problems.resolved(t);
      } catch (err) {
        t.backoff.fail(now);
        this.problems.report(t, err);
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
        this.problems.report(t, err);
      }
    }
  }

  private async readFile(f: TailedFile, t: Tracked): Promise<void> {
    if (this.openOnly) return;
    const truncations = f.truncations;
    const n = await f.read(this.opts.readBudgetBytes, (p) => this.deliver(f, p), () => this.running);
    // a whole budget read, or a rewrite found (its copy's rest first, then the file again from 0)
    if (n >= this.opts.readBudgetBytes || f.truncations !== truncations) this.timing.again();
    // each line's position is saved as it is delivered, before the reader moves past it: the
    // last line of a read is saved here, or a quiet file would keep it unsaved (read again later)
    if (n > 0) this.saveState();
    if (this.opts.partialFlushMs > 0 && t.current === f) await f.flushPartial(this.opts.partialFlushMs, (p) => this.deliver(f, p));
  }

  private async openCurrent(t: Tracked): Promise<TailedFile> {
    const savedHere = this.positions.take(t.path);
    const fresh = t.initial && !this.firstScanDone && !this.opts.fromStart ? 'end' : 'start';
    return this.generations.openAtPath(t, savedHere, fresh);
  }

  private async deliver(f: TailedFile, p: DeliveredPiece): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    const line = toRawLine(this.sourceId, f.path, p, this.opts);
    try {
      await sink(line);
    } catch (err) {
      this.opts.log('error', `${this.sourceId}: the pipeline failed on a line of ${f.path}: ${messageOf(err)}`, { source: this.sourceId, offset: p.offset });
    }
    this.delivered += 1;
    if (!p.partial) this.saveState();
  }

  private saveState(): void {
    this.positions.save(this.tracked.values());
  }
}
