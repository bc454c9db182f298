/**
 * runWrapped: runs a client (plink, ssh, rdesktop, xfreerdp…) with its output captured for the
 * agent, while the person at the terminal sees and answers exactly what they would without us.
 *
 *   const code = await runWrapped({ argv: ['plink', '-v', 'host'] });   // what `connwatch wrap -- plink -v host` does
 *   process.exitCode = code;
 *
 * - The client is spawned with argv as given, never through a shell. stdout and stderr are
 *   piped and every byte is written on to our own stdout/stderr at once, unchanged (with
 *   backpressure). stdin: a terminal is inherited (or, with a pty, becomes the pty); anything
 *   else (a pipe, a file) is passed on through a pipe, so that `input` records can count it.
 * - The pty (agent/sources/wrap-pty.ts, util-linux `script`): with `pty: 'auto'` (default) the
 *   client gets a pseudo-terminal of its own exactly when wrap itself has a controlling
 *   terminal (so when the client would have had one): what it writes to /dev/tty is captured as
 *   `stream: "tty"` and shown on the person's terminal, the person's keystrokes (wrap's stdin
 *   when it is a terminal, put in raw mode; else, with `pty: 'auto'`, /dev/tty) go to the pty.
 *   Without a terminal (Xming, a desktop
 *   launcher) the client gets none, as it would without wrap: plink 0.78 then asks on stderr
 *   and reads stdin. `pty: 'always'` gives it one anyway (a terminal nobody answers);
 *   'never' never does.
 * - A capture file (JSONL, format in agent/envelopes/wrap-capture.ts) is written to
 *   `captureDir` (default ~/.local/state/connwatch/captures/), named
 *   `<program>-<pid>-<UTC time>.jsonl`: a `start` record (argv with secrets masked, host and
 *   port when known: wrap-argv.ts), one record per line and stream, `input` records (bytes
 *   passed to the client, never their content, at most one per `inputBurstMs` per target),
 *   `waiting` records (what the client is blocked on, from /proc: proc-wait.ts, checked every
 *   `waitPollMs` once the output has been quiet for `quietMs`, written when it changes (seen on two checks in a row), and
 *   again after an answer or new output while it waited for the person: each prompt gets its
 *   own), and an
 *   `exit` record.
 * - The exit code is returned; death by a signal gives 128 + its number. A command that is not
 *   found gives 127, one that is not executable 126, with a one-line message on stderr, as a
 *   shell does. SIGINT, SIGTERM and SIGHUP received by us are forwarded to the client.
 * - Old capture files are pruned at start: older than `maxAgeDays` (7), then the oldest until
 *   the directory holds at most `maxTotalBytes` (50 MiB).
 *
 * A capture directory that cannot be written does not stop the client: it runs uncaptured, with
 * a warning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ReadStream as TtyReadStream, type ReadStream } from 'node:tty';
import type { Program } from '../event.js';
import { CAPTURE_VERSION, type CaptureRecord } from '../envelopes/wrap-capture.js';
import { ConnwatchError } from '../errors.js';
import { classifyWait, readProcSnapshot } from './proc-wait.js';
import { programOf, redactArgv, targetOf } from './wrap-argv.js';
import { childOf, hasControllingTerminal, ptsOf, resizePty, resolveCommand, SCRIPT_BIN, scriptArgv, scriptEnv } from './wrap-pty.js';
import { InputCounter, StreamCapture, type RecordBody } from './wrap-stream.js';
import { defaultCaptureDir, pruneCaptures } from './wrap-files.js';
import { LineGate, verbosePlan } from './wrap-verbose.js';

export { programOf, redactArgv } from './wrap-argv.js';
export { defaultCaptureDir, pruneCaptures } from './wrap-files.js';

export interface RunWrappedOptions {
  /** The client and its arguments; argv[0] is looked up on PATH. */
  argv: string[];
  captureDir?: string;
  /** Default: recognised from argv[0] (plink, ssh, rdesktop, xfreerdp → freerdp, remmina). */
  program?: Program;
  /** Where the client's output goes on to (default process.stdout / process.stderr). */
  stdout?: Writable;
  stderr?: Writable;
  /** Where what the client writes to its pty goes on to (default: the person's terminal, else stderr). */
  ttyOut?: Writable;
  /** 'ignore': the client gets /dev/null. Default: wrap's stdin, as described above. */
  stdin?: 'ignore';
  /** Default process.stdin. */
  input?: Readable;
  pty?: 'auto' | 'always' | 'never';
  /** When the client shows no console, make it verbose for the capture only (wrap-verbose.ts). */
  verboseCapture?: boolean;
  env?: NodeJS.ProcessEnv;
  partialMs?: number;
  maxRecordBytes?: number;
  maxAgeDays?: number;
  maxTotalBytes?: number;
  quietMs?: number;
  waitPollMs?: number;
  inputBurstMs?: number;
  /** Told about problems that do not stop the client (capture not writable). */
  warn?: (err: ConnwatchError) => void;
  /** Told the capture file's path once it is created. */
  onCapture?: (path: string) => void;
}

async function clientPidOf(script: ChildProcess): Promise<number | undefined> {
  for (let i = 0; i < 200 && script.pid !== undefined && script.exitCode === null && script.signalCode === null; i++) {
    const pid = childOf(script.pid);
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

export async function runWrapped(opts: RunWrappedOptions): Promise<number> {
  const given = opts.argv;
  const cmd = given[0];
  if (!cmd) throw new ConnwatchError('USAGE', 'Nothing to run.', { hint: 'Usage: connwatch wrap -- plink -v host' });
  const program = opts.program ?? programOf(cmd);
  const captureDir = opts.captureDir ?? defaultCaptureDir();
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;
  const input = opts.input ?? process.stdin;
  const warn = opts.warn ?? ((e: ConnwatchError) => process.stderr.write(`connwatch: ${e.describe()}\n`));

  const resolved = resolveCommand(cmd, (opts.env ?? process.env).PATH);
  if ('code' in resolved) {
    err.write(`connwatch wrap: ${resolved.message}\n`);
    return resolved.code;
  }

  await pruneCaptures(captureDir, opts.maxAgeDays ?? 7, opts.maxTotalBytes ?? 50 * 1024 * 1024).catch(() => undefined);
  let captureOk = true;
  try {
    await mkdir(captureDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    captureOk = false;
    warn(new ConnwatchError('WRAP_FAILED', `Cannot create the capture directory ${captureDir}; ${cmd} runs without capture.`, { hint: 'Check its permissions, or pass another directory.', cause: e }));
  }

  const ignoreStdin = opts.stdin === 'ignore';
  const inputTty = !ignoreStdin && (input as Partial<ReadStream>).isTTY === true;
  // No console: nobody reads what the client prints, so it may log more, for the capture only.
  const noConsole = !inputTty && !(err as Partial<NodeJS.WriteStream>).isTTY && !(out as Partial<NodeJS.WriteStream>).isTTY;
  const plan = opts.verboseCapture && noConsole ? verbosePlan(program, given, opts.env ?? process.env) : undefined;
  const argv = plan?.argv ?? given;
  const env = plan?.env ?? opts.env ?? process.env;
  const mode = opts.pty ?? 'auto';
  const scriptOk = resolveCommand(SCRIPT_BIN, undefined);
  let usePty = mode === 'always' || (mode === 'auto' && (inputTty || hasControllingTerminal()));
  if (usePty && 'code' in scriptOk) {
    usePty = false;
    warn(new ConnwatchError('WRAP_FAILED', `${SCRIPT_BIN} (util-linux) is missing; ${cmd} runs without a terminal of its own, so questions it asks on /dev/tty are not captured.`, { hint: 'Install util-linux.' }));
  }

  let child: ChildProcess;
  let stdinTarget: Writable | undefined;
  let ttyTarget: Writable | undefined;
  let clientOut: Readable;
  let clientErr: Readable;
  let ttyIn: Readable | undefined;
  if (usePty) {
    const size = (out as Partial<NodeJS.WriteStream>).isTTY ? out : (err as Partial<NodeJS.WriteStream>).isTTY ? err : undefined;
    const rows = (size as Partial<NodeJS.WriteStream> | undefined)?.rows;
    const cols = (size as Partial<NodeJS.WriteStream> | undefined)?.columns;
    const stdinHow = ignoreStdin ? 'null' : inputTty ? 'pty' : 'pipe';
    child = spawn(SCRIPT_BIN, scriptArgv(argv, { stdin: stdinHow, rows, cols }), {
      stdio: ['pipe', 'pipe', 'pipe', stdinHow === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: scriptEnv(env),
    });
    const s = child.stdio as unknown as Array<Readable | Writable | null>;
    ttyTarget = s[0] as Writable;
    ttyIn = s[1] as Readable;
    (s[2] as Readable).pipe(err, { end: false });
    if (stdinHow === 'pipe') stdinTarget = s[3] as Writable;
    clientOut = s[4] as Readable;
    clientErr = s[5] as Readable;
  } else {
    child = spawn(resolved.path, argv.slice(1), { stdio: [ignoreStdin ? 'ignore' : inputTty ? 'inherit' : 'pipe', 'pipe', 'pipe'], env, shell: false, argv0: cmd });
    if (!ignoreStdin && !inputTty) stdinTarget = child.stdin as Writable;
    clientOut = child.stdout as Readable;
    clientErr = child.stderr as Readable;
  }
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
  if (spawned || child.pid === undefined) {
    err.write(`connwatch wrap: cannot start ${usePty ? SCRIPT_BIN : cmd}: ${spawned?.message ?? 'no pid'}\n`);
    return 126;
  }
  const pid = (usePty ? await clientPidOf(child) : undefined) ?? child.pid;

  let file: WriteStream | undefined;
  if (captureOk) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(captureDir, `${program ?? (basename(cmd).replace(/[^\w.-]/g, '_') || 'client')}-${pid}-${stamp}.jsonl`);
    file = createWriteStream(path, { flags: 'a', mode: 0o600 });
    file.on('error', (e) => {
      warn(new ConnwatchError('WRAP_FAILED', `Cannot write the capture file ${path}; the client goes on uncaptured.`, { hint: 'Check free space and permissions.', cause: e }));
      file = undefined;
    });
    opts.onCapture?.(path);
  }
  const record = (rec: RecordBody): void => {
    const full: CaptureRecord = { v: CAPTURE_VERSION, t: Date.now(), pid, ...rec };
    if (program) full.program = program;
    file?.write(`${JSON.stringify(full)}\n`);
  };
  const added = plan?.added ?? [];
  record({ event: 'start', argv: redactArgv(given, program), ...targetOf(program, given), ...(added.length > 0 ? { added } : {}) });

  let lastOutput = Date.now();
  // The last `waiting` state written ('' = none yet, or forgotten: after an answer, or output
  // following a wait for the person, the next state is written even when it is the same).
  let lastWait = '';
  const partialMs = opts.partialMs ?? 300;
  const maxBytes = opts.maxRecordBytes ?? 64 * 1024;
  const caps: StreamCapture[] = [];
  // an answer typed fast (or piped) must not be recorded before the question it answers
  const recordInput = (rec: RecordBody): void => {
    for (const c of caps) c.flushPartial();
    record(rec);
  };
  const pipe = (name: 'stdout' | 'stderr' | 'tty', from: Readable, to: Writable): Promise<void> => {
    const cap = new StreamCapture(name, record, partialMs, maxBytes);
    caps.push(cap);
    const gate = plan && name !== 'tty' && plan.streams.includes(name) ? new LineGate(plan.hides, (b) => to.write(b), partialMs) : undefined;
    return new Promise((resolve) => {
      from.on('data', (chunk: Buffer) => {
        lastOutput = Date.now();
        if (lastWait.startsWith('tty:') || lastWait.startsWith('stdin:')) lastWait = '';
        const pass = gate ? gate.push(chunk) : chunk;
        if (pass.length > 0 && !to.write(pass)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
        cap.push(chunk);
      });
      from.on('end', () => {
        gate?.flush(true);
        cap.end();
        resolve();
      });
      from.on('error', () => resolve());
    });
  };
  const ttyOut = ttyIn ? (opts.ttyOut ? { stream: opts.ttyOut, close: () => undefined } : personTerminal(out, err)) : undefined;
  const streams = Promise.all([
    pipe('stdout', clientOut, out),
    pipe('stderr', clientErr, err),
    ...(ttyIn && ttyOut ? [pipe('tty', ttyIn, ttyOut.stream)] : []),
  ]);

  // What the person types or pipes: to the pty when wrap's stdin is a terminal, else to stdin.
  const burstMs = opts.inputBurstMs ?? 500;
  const target = inputTty && ttyTarget ? ttyTarget : stdinTarget;
  const counter = target ? new InputCounter(target === ttyTarget ? 'tty' : 'stdin', recordInput, burstMs) : undefined;
  const onInput = (chunk: Buffer): void => {
    lastWait = '';
    counter?.add(chunk.length);
    if (target && !target.write(chunk)) {
      input.pause();
      target.once('drain', () => input.resume());
    }
  };
  const onInputEnd = (): void => {
    if (target === stdinTarget) stdinTarget?.end();
  };
  target?.on('error', () => undefined);
  if (target) {
    if (inputTty && usePty) (input as ReadStream).setRawMode?.(true);
    input.on('data', onInput);
    input.on('end', onInputEnd);
  }
  // wrap's stdin is not a terminal but wrap has one (`echo … | connwatch wrap -- ssh host` typed
  // in a terminal): the person answers the client's terminal questions there, as without wrap.
  let personTty: TtyReadStream | undefined;
  let ttyCounter: InputCounter | undefined;
  if (usePty && !inputTty && !ignoreStdin && ttyTarget && mode === 'auto' && hasControllingTerminal()) {
    try {
      personTty = new TtyReadStream(openSync('/dev/tty', 'r'));
      personTty.setRawMode(true);
      const to = ttyTarget;
      const count = new InputCounter('tty', recordInput, burstMs);
      ttyCounter = count;
      personTty.on('data', (chunk: Buffer) => {
        lastWait = '';
        count.add(chunk.length);
        to.write(chunk);
      });
      personTty.on('error', () => undefined);
    } catch {
      personTty = undefined;
    }
  }
  let pts: string | undefined;
  const onResize = (): void => {
    const o = out as NodeJS.WriteStream;
    pts ??= ptsOf(pid);
    if (pts && o.rows && o.columns) resizePty(pts, o.rows, o.columns);
  };
  if (usePty && (out as Partial<NodeJS.WriteStream>).isTTY) out.on('resize', onResize);

  // What the client is blocked on, once it has been quiet for a while.
  const quietMs = opts.quietMs ?? 500;
  let candidate = '';
  const poll = setInterval(() => {
    if (Date.now() - lastOutput < quietMs) return;
    const snap = readProcSnapshot(pid);
    if (!snap) return;
    const w = classifyWait(snap);
    const key = `${w.on}:${w.fd ?? ''}`;
    // written once seen on two checks in a row: a multi-threaded client (xfreerdp) flickers
    const seen = candidate === key;
    candidate = key;
    if (!seen || key === lastWait || (lastWait === '' && w.on === 'none')) return;
    lastWait = key;
    record({ event: 'waiting', on: w.on, ...(w.fd !== undefined ? { fd: w.fd } : {}) });
  }, opts.waitPollMs ?? 250);
  poll.unref();

  const forward = (sig: NodeJS.Signals) => (): void => {
    try {
      process.kill(pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => {
    const h = forward(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearInterval(poll);
  await streams;
  for (const [sig, h] of handlers) process.off(sig, h);
  out.off('resize', onResize);
  if (target) {
    input.off('data', onInput);
    input.off('end', onInputEnd);
    if (inputTty && usePty) (input as ReadStream).setRawMode?.(false);
    if (input === process.stdin) input.pause();
    if (input === process.stdin && !inputTty) input.destroy();
  }
  if (personTty) {
    personTty.setRawMode(false);
    personTty.destroy();
  }
  ttyCounter?.end();
  counter?.end();
  ttyOut?.close();
  record({ event: 'exit', code, signal });
  const f = file;
  if (f) await new Promise<void>((resolve) => f.end(() => resolve()));
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 0);
}

/** The person's terminal for what the client writes to its pty: stdout or stderr when one is a terminal, else /dev/tty, else stderr. */
function personTerminal(out: Writable, err: Writable): { stream: Writable; close: () => void } {
  if ((out as Partial<NodeJS.WriteStream>).isTTY) return { stream: out, close: () => undefined };
  if ((err as Partial<NodeJS.WriteStream>).isTTY) return { stream: err, close: () => undefined };
  if (hasControllingTerminal()) {
    const s = createWriteStream('/dev/tty');
    s.on('error', () => undefined);
    return { stream: s, close: () => s.end() };
  }
  return { stream: err, close: () => undefined };
}
