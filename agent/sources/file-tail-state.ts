/**
 * The file tail's shapes: its options and status, what it keeps per watched path (Tracked), and
 * the positions it saves in the checkpoint store (`{v: 1, files: [FileState…]}`, read back by
 * parseSavedFiles: a malformed entry is skipped, never fatal).
 */
import type { Program } from '../event.js';
import type { ConnwatchError } from '../errors.js';
import type { CheckpointStore, JsonValue } from './checkpoint.js';
import { Backoff } from './backoff.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-splitter.js';
import type { EnvelopeHint, RawLine } from './raw-line.js';
import type { DeliveredPiece, FileState, TailedFile } from './tailed-file.js';

export const CHECKPOINT_SCHEMA = 1;

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

/** The defaults of FileTailOptions. */
export const TAIL_DEFAULTS = {
  pollMs: 1000,
  maxPollMs: 30_000,
  recheckMs: 150,
  partialFlushMs: 500,
  rotatedQuietMs: 30_000,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  readBudgetBytes: 1 << 20,
};

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

/** One watched path: the file now at it, and older ones still being read. */
export interface Tracked {
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

export function newTracked(path: string, initial: boolean, everOpened = false): Tracked {
  return { path, current: undefined, draining: [], backoff: new Backoff(1000, 60_000), problem: undefined, initial, everOpened, seen: new Set(), lastBirth: undefined, lastReal: undefined };
}

/** The files saved under a source's key (undefined: none saved). */
export function parseSavedFiles(v: JsonValue | undefined): FileState[] {
  const saved: FileState[] = [];
  if (!v || typeof v !== 'object' || Array.isArray(v)) return saved;
  const files = (v as { files?: unknown }).files;
  if (!Array.isArray(files)) return saved;
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
      saved.push(s);
    }
  }
  return saved;
}

/** A piece a file delivered, as the RawLine the pipeline gets. */
export function toRawLine(sourceId: string, file: string, p: DeliveredPiece, o: { program?: Program; envelope?: EnvelopeHint }): RawLine {
  const line: RawLine = { sourceId, text: p.text, receivedAt: Date.now(), position: { source: sourceId, file, offset: p.offset } };
  if (p.line !== undefined) line.position.line = p.line;
  if (p.partial) line.partial = true;
  if (p.continuation) line.continuation = true;
  if (o.program) line.program = o.program;
  if (o.envelope) line.envelope = o.envelope;
  return line;
}

/** The files and problems of the tracked paths, for FileTailStatus. */
export function statusOf(tracked: Iterable<Tracked>): Pick<FileTailStatus, 'files' | 'problems'> {
  const files: FileTailStatus['files'] = [];
  const problems: FileTailStatus['problems'] = [];
  for (const t of tracked) {
    for (const f of [...t.draining, ...(t.current ? [t.current] : [])]) {
      files.push({ path: f.path, dev: f.dev, ino: f.ino, offset: f.offset, size: f.size, rotated: f.rotated, truncations: f.truncations });
    }
    if (t.problem) problems.push({ path: t.path, code: t.problem.code, message: t.problem.message });
  }
  return { files, problems };
}

/**
 * A tail's saved positions: read once at start (a first start when none are saved and the store
 * did not lose them), handed out per path as the paths are looked at, and written back with the
 * files now open (saved files whose path has not been looked at yet are kept).
 */
export class TailPositions {
  /** Saved files whose path has not been looked at in this run. */
  saved: FileState[] = [];
  firstStart = false;

  constructor(
    private readonly checkpoints: CheckpointStore,
    private readonly sourceId: string,
  ) {}

  load(): void {
    const v = this.checkpoints.get(this.sourceId);
    this.firstStart = v === undefined && !this.checkpoints.lost;
    this.saved = parseSavedFiles(v);
  }

  /** The saved files of `path`, now in the hands of the caller. */
  take(path: string): FileState[] {
    const here = this.saved.filter((s) => s.path === path);
    this.saved = this.saved.filter((s) => s.path !== path);
    return here;
  }

  save(tracked: Iterable<Tracked>): void {
    const files: JsonValue[] = [];
    for (const t of tracked) {
      for (const f of [...t.draining, ...(t.current ? [t.current] : [])]) files.push({ ...f.state() });
    }
    for (const s of this.saved) files.push({ ...s });
    this.checkpoints.set(this.sourceId, { v: CHECKPOINT_SCHEMA, files });
  }
}
