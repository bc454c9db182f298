/**
 * CheckpointStore: where sources keep their positions (file offsets, journal cursors) across
 * restarts. One JSON file, versioned:
 *
 *   {"version":1,"savedAt":1763731972123,"entries":{"file:/var/log/auth.log":{…},"journal:system":{…}}}
 *
 * - `set(key, value)` only marks the store dirty; a flush follows within `flushMs` (default
 *   200 ms), so a burst of lines costs one write, not one per line. `flush()` writes now.
 * - Writes are atomic: a temp file in the same directory, fsync, then rename over the old file;
 *   a crash leaves either the old or the new file, never half of one.
 * - Sources call `set` only after the sink's promise for a line resolved, so a crash repeats at
 *   most the lines of the last flush interval and never skips one (at-least-once).
 * - A missing file is an empty store; an unreadable or corrupt one is reported (STATE_UNWRITABLE
 *   / the log) and treated as empty rather than stopping the agent. Unknown versions likewise.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { ConnwatchError, errnoCode } from '../errors.js';
import { StateProblems } from './state-file.js';

export const CHECKPOINT_VERSION = 1;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** ~/.local/state/connwatch/checkpoints.json, honouring XDG_STATE_HOME. */
export function defaultCheckpointPath(env: NodeJS.ProcessEnv = process.env): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'connwatch', 'checkpoints.json');
}

export interface CheckpointStoreOptions {
  flushMs?: number;
  /** Told about problems (corrupt file, failed write: once until it works again); the store keeps working in memory. */
  onError?: (err: ConnwatchError) => void;
  /** Told when writing works again after a failure. */
  onInfo?: (message: string) => void;
  /** While writes fail (read-only directory, full disk): try again this often (default 2 s), not at every line. */
  retryMs?: number;
}

export class CheckpointStore {
  readonly path: string;
  private entries = new Map<string, JsonValue>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly onError: (err: ConnwatchError) => void;
  private tmpCounter = 0;
  /**
   * The file existed but could not be used (corrupt, unreadable): positions are lost, so sources
   * must not take this for a first start (which reads from the end and skips what was written
   * while the agent was stopped) but read their files from the start; alert ids recorded in the
   * history keep those lines from being alerted twice.
   */
  lost = false;
  private dirtySince = 0;
  private inFlight = false;
  private readonly retryMs: number;
  /** The last write failed: reported once (StateProblems), retried every retryMs. */
  private failing = false;
  private readonly problems: StateProblems;

  constructor(path: string = defaultCheckpointPath(), options: CheckpointStoreOptions = {}) {
    this.path = path;
    this.flushMs = options.flushMs ?? 200;
    this.onError = options.onError ?? ((e) => process.stderr.write(`warn: ${e.describe()}\n`));
    this.retryMs = options.retryMs ?? 2000;
    const onInfo = options.onInfo ?? ((m) => process.stderr.write(`info: ${m}\n`));
    // logging goes through onError / onInfo below; StateProblems decides when it is news
    this.problems = new StateProblems((level, m) => {
      if (level === 'info') onInfo(m);
    });
  }

  /** Read the file (missing: empty store). Call once before the sources start. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      this.lost = true;
      this.onError(
        new ConnwatchError('STATE_UNWRITABLE', `Cannot read the checkpoint file ${this.path}; starting without saved positions.`, {
          hint: 'Check the permissions of the file and its directory.',
          cause: err,
        }),
      );
      return;
    }
    try {
      const data = JSON.parse(text) as { version?: unknown; entries?: unknown };
      if (data.version !== CHECKPOINT_VERSION || typeof data.entries !== 'object' || data.entries === null) {
        throw new Error(`unsupported checkpoint version ${String(data.version)}`);
      }
      this.entries = new Map(Object.entries(data.entries as Record<string, JsonValue>));
    } catch (err) {
      this.lost = true;
      await rename(this.path, `${this.path}.corrupt`).catch(() => undefined);
      this.onError(
        new ConnwatchError('STATE_UNWRITABLE', `The checkpoint file ${this.path} is corrupt (kept as ${this.path}.corrupt); reading the watched files again from their start.`, {
          hint: 'Nothing to do: lines whose alerts are in the history are not alerted again; a new checkpoint file is written.',
          cause: err,
        }),
      );
    }
  }

  get(key: string): JsonValue | undefined {
    return this.entries.get(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Remember `value` for `key`; written within flushMs. */
  set(key: string, value: JsonValue): void {
    this.entries.set(key, value);
    this.markDirty();
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.markDirty();
  }

  /** Write now if anything changed (and wait for a write already under way). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const run = async (): Promise<void> => {
      if (!this.dirty) return;
      this.dirty = false;
      const body = JSON.stringify({ version: CHECKPOINT_VERSION, savedAt: Date.now(), entries: Object.fromEntries(this.entries) });
      try {
        await this.writeAtomic(body);
        if (this.failing) {
          this.failing = false;
          this.problems.ok(this.path);
        }
      } catch (err) {
        if (!this.dirty) this.dirtySince = Date.now();
        this.dirty = true;
        this.failing = true;
        const e = this.problems.failed(this.path, err);
        if (e) this.onError(new ConnwatchError('STATE_UNWRITABLE', `${e.message} Positions are kept in memory meanwhile and written when it works again.`, { hint: e.hint ?? '', cause: err }));
        this.scheduleFlush(this.retryMs);
      }
    };
    this.writing = this.writing.then(run, run);
    return this.writing;
  }

  /** Stop the timer and write what is pending. */
  async close(): Promise<void> {
    await this.flush();
  }

  private markDirty(): void {
    if (!this.dirty) this.dirtySince = Date.now();
    this.dirty = true;
    // A busy reader starves timers: a 2,000-line backlog kept the 200 ms timer from firing for
    // 4 s, so a kill -9 then lost every position of the run (and the rotated files they named).
    // The lag is bounded here, by the lines themselves.
    if (!this.failing && Date.now() - this.dirtySince >= this.flushMs && !this.inFlight) {
      this.inFlight = true;
      void this.flush().finally(() => (this.inFlight = false));
      return;
    }
    this.scheduleFlush(this.failing ? this.retryMs : this.flushMs);
  }

  private scheduleFlush(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private async writeAtomic(body: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp-${process.pid}-${++this.tmpCounter}`;
    try {
      // 0600 whatever the umask; a symlink planted at the temp name is not followed
      const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
