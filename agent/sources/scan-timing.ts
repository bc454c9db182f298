/**
 * When the file tail looks (see file-tail.ts's header): chokidar 5 watches the directory (or its
 * nearest existing ancestor while it does not exist), every event asks for a scan and a second
 * one `recheckMs` later, and a safety scan runs every `pollMs`, its pause doubling up to
 * `maxPollMs` while the watcher works and nothing happens; a line without newline gets a scan
 * when it is due as partial. Scans never overlap: one asked for during a scan (or `again()`)
 * runs right after it. Knows nothing about files: the tail is its host.
 */
import { watch, type FSWatcher } from 'chokidar';
import { messageOf } from '../errors.js';
import { globBase, hasGlob, nearestExistingDir } from './tail-glob.js';
import type { SourceLog } from './file-tail-state.js';

export interface ScanHost {
  running(): boolean;
  /** One look at the files. */
  scanOnce(): Promise<void>;
  /** A scan threw (told by the host, as it sees fit). */
  scanFailed(err: unknown): void;
  /** Lines delivered so far (a change means activity). */
  delivered(): number;
  /** A rotated file is still being read. */
  draining(): boolean;
  /** When the earliest pending line is due as partial (ms since the epoch; Infinity: none). */
  partialDue(): number;
}

export interface ScanTimingOptions {
  pollMs: number;
  maxPollMs: number;
  recheckMs: number;
  partialFlushMs: number;
  watch?: boolean;
  log: SourceLog;
}

export class ScanTiming {
  private watcher: FSWatcher | undefined;
  private watchedDir: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Pause before the next safety scan. */
  private pollDelay = 0;
  /** A watcher event came since the last safety scan. */
  private stirred = false;
  /** The watcher reported an error: it may miss changes, so polling stays fast. */
  private watcherFailed = false;
  private recheckTimer: NodeJS.Timeout | undefined;
  private partialTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private scanAgain = false;

  constructor(
    private readonly pattern: string,
    private readonly sourceId: string,
    private readonly opts: ScanTimingOptions,
    private readonly host: ScanHost,
  ) {}

  get safetyScanMs(): number {
    return this.pollDelay;
  }

  /** After the first scan: safety scans, and the watcher unless watch is false. */
  async start(): Promise<void> {
    this.pollDelay = this.opts.pollMs;
    this.schedulePoll();
    if (this.opts.watch !== false) await this.ensureWatcher();
  }

  async stop(): Promise<void> {
    clearTimeout(this.pollTimer);
    clearTimeout(this.recheckTimer);
    clearTimeout(this.partialTimer);
    await this.watcher?.close().catch(() => undefined);
    this.watcher = undefined;
  }

  /** A scan now, or right after the one running; resolves when done. */
  scan(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return this.scanning;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.scanAgain = false;
          await this.host.scanOnce();
        } while (this.scanAgain && this.host.running());
      } catch (err) {
        this.host.scanFailed(err);
      } finally {
        this.scanning = undefined;
      }
    };
    this.scanning = run();
    return this.scanning;
  }

  /** Scan once more after the scan running now (more to read, or a file to read first). */
  again(): void {
    this.scanAgain = true;
  }

  /** Resolves when no scan runs. */
  async idle(): Promise<void> {
    while (this.scanning) await this.scanning;
  }

  /** Ask for a scan now (and one more shortly after), e.g. on a change event. */
  kick(recheck = false): void {
    if (!this.host.running()) return;
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
    if (!this.host.running()) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.pollDelay);
  }

  /** The safety scan; then the next one sooner or later (see the header). */
  private async poll(): Promise<void> {
    const delivered = this.host.delivered();
    const stirred = this.stirred;
    this.stirred = false;
    await this.scan();
    const draining = this.host.draining();
    const watched = this.opts.watch !== false && this.watcher !== undefined && !this.watcherFailed;
    const quiet = watched && !stirred && !draining && this.host.delivered() === delivered;
    this.pollDelay = quiet ? Math.min(this.pollDelay * 2, this.opts.maxPollMs) : this.opts.pollMs;
    this.schedulePoll();
  }

  /** A scan when the earliest line without newline is due as partial. */
  schedulePartialCheck(): void {
    if (!this.host.running() || this.opts.partialFlushMs <= 0 || this.partialTimer) return;
    const due = this.host.partialDue();
    if (due === Infinity) return;
    this.partialTimer = setTimeout(() => {
      this.partialTimer = undefined;
      this.kick();
    }, Math.max(10, due - Date.now() + 5));
  }

  /** Watch the pattern's directory (or its nearest existing ancestor); again when that changes. */
  async ensureWatcher(): Promise<void> {
    if (!this.host.running()) return;
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
