/**
 * JournalSource: follows the systemd journal through `journalctl -f -o json` and hands on one
 * RawLine per entry: the JSON object as text (envelope 'journal-json') and the entry decoded once
 * (`journal`, agent/envelopes/journal.ts, binary-safe byte-array fields included), which the
 * router uses instead of parsing the text again.
 *
 *   const j = new JournalSource({ scope: 'system', identifiers: ['sshd', 'sshd-session'], units: ['ssh.service'], checkpoints, log });
 *   await j.start(sink); … await j.stop();
 *
 * The command (argv, never a shell), for systemd 247–257 journalctl:
 *
 *   journalctl -f -o json --no-pager [--system|--user] (--after-cursor=C | --lines=0 | --lines=all)
 *              [extraArgs…] [SYSLOG_IDENTIFIER=a SYSLOG_IDENTIFIER=b + _SYSTEMD_UNIT=u …]
 *
 * Identifiers and units are OR-ed (journalctl's "+"): an entry matches by identifier or unit.
 * For scope 'user' units match _SYSTEMD_USER_UNIT. With `--file`/`--directory`/`--root` in
 * extraArgs (tests, containers) no scope flag is added.
 *
 * Position: the cursor of the last entry whose sink promise resolved is saved under `sourceId`
 * (default `journal:<scope>`). First start begins at the end (`--lines=0`, or all with
 * `fromStart`); a restart continues after the saved cursor. When journalctl cannot seek to it
 * (journal vacuumed, another machine), it continues from the cursor's own time (`--since=@T`,
 * may repeat a few entries) and says so.
 *
 * Problems: a user who may not read the system journal gets JOURNAL_FORBIDDEN once, with the
 * fix (group systemd-journal or adm, log in again); journalctl missing or exiting is
 * SOURCE_FAILED, and it is started again with backoff. Other sources are not affected.
 */
import type { Program } from '../event.js';
import { ConnwatchError, errnoCode, messageOf } from '../errors.js';
import type { CheckpointStore } from './checkpoint.js';
import type { LineSink, SourceLog } from './file-tail.js';
import type { RawLine } from './raw-line.js';
import { LineChild, type ChildEnd } from './supervise-lines.js';
import { parseJournalLine } from '../envelopes/journal.js';

export interface JournalSourceOptions {
  scope: 'system' | 'user';
  /** SYSLOG_IDENTIFIER values to follow (OR-ed with units). None and no units: everything. */
  identifiers?: string[];
  /** Unit names (ssh.service); matched on _SYSTEMD_UNIT, or _SYSTEMD_USER_UNIT for scope 'user'. */
  units?: string[];
  /** Path or name of journalctl (default 'journalctl', looked up on PATH). */
  journalctl?: string;
  /** Added before the matches, e.g. ['--file', F] or ['--directory', D]. */
  extraArgs?: string[];
  checkpoints: CheckpointStore;
  sourceId?: string;
  program?: Program;
  /** First start: read the whole journal instead of starting at its end. */
  fromStart?: boolean;
  /** JSON lines longer than this are cut (default 1 MiB). */
  maxLineBytes?: number;
  /** First delay before starting journalctl again after it failed (default 1 s; doubles to 60 s). */
  retryMs?: number;
  log: SourceLog;
  onProblem?: (err: ConnwatchError) => void;
}

export interface JournalStatus {
  sourceId: string;
  running: boolean;
  pid: number | undefined;
  cursor: string | undefined;
  entriesDelivered: number;
  restarts: number;
  problem: { code: string; message: string } | undefined;
}

const FORBIDDEN = [
  /No journal files were found/i,
  /not seeing messages from other users and the system/i,
  /insufficient permissions/i,
  /Permission denied/i,
];

export const JOURNAL_FORBIDDEN_HINT =
  'Add yourself to the group systemd-journal or adm (sudo usermod -aG systemd-journal $USER), then log in again.';

/** The journalctl argv (without the program) for these options and this starting point. */
export function journalArgs(opts: Pick<JournalSourceOptions, 'scope' | 'identifiers' | 'units' | 'extraArgs'>, start: { cursor?: string; since?: number; all?: boolean }): string[] {
  const args = ['-f', '-o', 'json', '--no-pager'];
  const extra = opts.extraArgs ?? [];
  const custom = extra.some((a) => /^(--file|--directory|-D|--root|--image|-M|--machine)(=|$)/.test(a));
  if (!custom) args.push(opts.scope === 'user' ? '--user' : '--system');
  if (start.cursor) args.push(`--after-cursor=${start.cursor}`);
  else if (start.since !== undefined) args.push(`--since=@${start.since}`, '--lines=all');
  else args.push(start.all ? '--lines=all' : '--lines=0');
  args.push(...extra);
  const idMatches = (opts.identifiers ?? []).map((i) => `SYSLOG_IDENTIFIER=${i}`);
  const unitField = opts.scope === 'user' ? '_SYSTEMD_USER_UNIT' : '_SYSTEMD_UNIT';
  const unitMatches = (opts.units ?? []).map((u) => `${unitField}=${u}`);
  if (idMatches.length > 0 && unitMatches.length > 0) args.push(...idMatches, '+', ...unitMatches);
  else args.push(...idMatches, ...unitMatches);
  return args;
}

/** The realtime (seconds) a cursor was taken at: its `t=` part, hex microseconds. */
export function cursorTime(cursor: string): number | undefined {
  const m = /(?:^|;)t=([0-9a-f]+)(?:;|$)/i.exec(cursor);
  return m ? Math.floor(parseInt(m[1] as string, 16) / 1e6) : undefined;
}

export class JournalSource {
  readonly sourceId: string;
  private readonly opts: JournalSourceOptions;
  private readonly child: LineChild;
  private sink: LineSink | undefined;
  private cursor: string | undefined;
  private since: number | undefined;
  private firstStart = true;
  private delivered = 0;
  private problem: ConnwatchError | undefined;
  /** journalctl said this run that it may not read the journal. */
  private forbidden = false;
  private startedAt = Math.floor(Date.now() / 1000);

  constructor(options: JournalSourceOptions) {
    this.opts = options;
    this.sourceId = options.sourceId ?? `journal:${options.scope}`;
    const cmd = options.journalctl ?? 'journalctl';
    this.child = new LineChild({
      command: () => {
        this.forbidden = false;
        const start = this.cursor ? { cursor: this.cursor } : this.since !== undefined ? { since: this.since } : { all: options.fromStart === true || !this.firstStart };
        return [cmd, ...journalArgs(options, start)];
      },
      line: (text) => this.deliver(text),
      stderr: (soFar) => this.checkForbidden(soFar),
      ended: (end) => this.ended(cmd, end),
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
      ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    });
  }

  /** Start journalctl; resolves once it is spawned (or its failure reported and a retry planned). */
  async start(sink: LineSink): Promise<void> {
    if (this.child.isRunning) throw new ConnwatchError('INTERNAL', `${this.sourceId} is already started`);
    this.sink = sink;
    this.startedAt = Math.floor(Date.now() / 1000);
    const saved = this.opts.checkpoints.get(this.sourceId);
    if (saved && typeof saved === 'object' && !Array.isArray(saved) && typeof saved.cursor === 'string') {
      this.cursor = saved.cursor;
      this.firstStart = false;
    }
    await this.child.start();
  }

  /** Stop journalctl, finish the entry in hand, save the cursor. */
  async stop(): Promise<void> {
    if (!this.child.isRunning) return;
    await this.child.stop();
    this.saveCursor();
    await this.opts.checkpoints.flush();
  }

  status(): JournalStatus {
    return {
      sourceId: this.sourceId,
      running: this.child.isRunning,
      pid: this.child.pid,
      cursor: this.cursor,
      entriesDelivered: this.delivered,
      restarts: this.child.restarts,
      problem: this.problem ? { code: this.problem.code, message: this.problem.message } : undefined,
    };
  }

  private checkForbidden(stderr: string): void {
    if (this.forbidden || !FORBIDDEN.some((re) => re.test(stderr))) return;
    this.forbidden = true;
    this.report(new ConnwatchError('JOURNAL_FORBIDDEN', `journalctl may not read the ${this.opts.scope} journal (${firstLine(stderr)}).`, { hint: JOURNAL_FORBIDDEN_HINT }));
  }

  /** journalctl ended while running: why, and when to start it again. */
  private ended(cmd: string, end: ChildEnd): number {
    const delay = this.delayAfter(cmd, end);
    // Nothing delivered yet on a first start: the retry must not skip what came meanwhile.
    if (!this.cursor && this.since === undefined && !(this.opts.fromStart === true)) this.since = this.startedAt;
    return delay;
  }

  private delayAfter(cmd: string, { code, signal, stderr, spawnError }: ChildEnd): number {
    if (/Failed to seek to cursor/i.test(stderr) && this.cursor) {
      this.opts.log('warn', `${this.sourceId}: journalctl cannot find the saved position any more; continuing from its time (a few entries may repeat)`, { source: this.sourceId });
      this.since = cursorTime(this.cursor);
      this.cursor = undefined;
      return 0;
    }
    if (signal === 'SIGTERM' || signal === 'SIGINT' || signal === 'SIGHUP') {
      // Stopped with us (systemd or a terminal signals the whole group): not a failure.
      this.opts.log('debug', `${this.sourceId}: journalctl ended by ${signal}; starting it again unless connwatch is stopping`, { source: this.sourceId });
      return 1000;
    }
    if (!this.forbidden) {
      const why = spawnError ? messageOf(spawnError) : `exited with ${signal ?? `code ${code}`}${stderr ? `: ${firstLine(stderr)}` : ''}`;
      const missing = errnoCode(spawnError) === 'ENOENT';
      this.report(
        new ConnwatchError('SOURCE_FAILED', `journalctl (${cmd}) ${missing ? 'was not found' : why}; the journal is not being read.`, {
          hint: missing ? 'Install systemd\'s journalctl, or turn the journal source off in the config.' : 'connwatch starts it again with backoff; run the same journalctl command to see why.',
          cause: spawnError,
        }),
      );
    }
    return this.child.backoff.fail();
  }

  private async deliver(text: string): Promise<void> {
    if (!this.sink || text === '') return;
    // decoded once here; the router takes the parts instead of parsing the JSON again
    const parts = parseJournalLine(text); // undefined: not JSON (a cut line), handed on as it is; the router reports it
    const cursor = parts?.cursor;
    const line: RawLine = { sourceId: this.sourceId, text, receivedAt: Date.now(), position: { source: this.sourceId }, envelope: 'journal-json' };
    if (parts) line.journal = parts;
    if (cursor) line.position.cursor = cursor;
    if (parts?.pid !== undefined) line.pid = parts.pid;
    if (this.opts.program) line.program = this.opts.program;
    try {
      await this.sink(line);
    } catch (err) {
      this.opts.log('error', `${this.sourceId}: the pipeline failed on an entry: ${messageOf(err)}`, { source: this.sourceId, cursor });
    }
    this.delivered += 1;
    if (this.problem && this.problem.code !== 'JOURNAL_FORBIDDEN') this.resolved();
    this.child.backoff.reset();
    if (cursor) {
      this.cursor = cursor;
      this.since = undefined;
      this.saveCursor();
    }
  }

  private saveCursor(): void {
    if (this.cursor) this.opts.checkpoints.set(this.sourceId, { v: 1, cursor: this.cursor });
  }

  private report(e: ConnwatchError): void {
    if (this.problem?.code === e.code) return;
    this.problem = e;
    this.opts.log('warn', e.describe(), { source: this.sourceId, code: e.code });
    this.opts.onProblem?.(e);
  }

  private resolved(): void {
    this.opts.log('info', `${this.sourceId}: reading the journal again`, { source: this.sourceId });
    this.problem = undefined;
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}
