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
 * - The pty (agent/sources/wrap-pty.ts, util-linux `script`; started by wrap-spawn.ts): with `pty: 'auto'` (default) the
 *   client gets a pseudo-terminal of its own exactly when wrap itself has a controlling
 *   terminal (so when the client would have had one): what it writes to /dev/tty is captured as
 *   `stream: "tty"` and shown on the person's terminal, the person's keystrokes (wrap's stdin
 *   when it is a terminal, put in raw mode; else, with `pty: 'auto'`, /dev/tty) go to the pty.
 *   Without a terminal (Xming, a desktop
 *   launcher) the client gets none, as it would without wrap: plink 0.78 then asks on stderr
 *   and reads stdin. `pty: 'always'` gives it one anyway (a terminal nobody answers);
 *   'never' never does.
 * - A capture file (JSONL, format in agent/envelopes/wrap-capture.ts; wrap-files.ts) is written to
 *   `captureDir` (default ~/.local/state/connwatch/captures/), named
 *   `<program>-<pid>-<UTC time>.jsonl`: a `start` record (argv with secrets masked, host and
 *   port when known: wrap-argv.ts), one record per line and stream, `input` records (bytes
 *   passed to the client, never their content, at most one per `inputBurstMs` per target),
 *   `waiting` records (what the client is blocked on, from /proc: wrap-waiting.ts, checked every
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
import { openSync } from 'node:fs';
import { basename } from 'node:path';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ReadStream as TtyReadStream, type ReadStream } from 'node:tty';
import type { Program } from '../event.js';
import { ConnwatchError } from '../errors.js';
import { programOf, redactArgv, targetOf } from './wrap-argv.js';
import { hasControllingTerminal, ptsOf, resizePty, resolveCommand, SCRIPT_BIN } from './wrap-pty.js';
import { clientPidOf, personTerminal, spawnClient, started } from './wrap-spawn.js';
import { InputCounter, StreamCapture, type RecordBody } from './wrap-stream.js';
import { CaptureWriter, defaultCaptureDir, prepareCaptureDir } from './wrap-files.js';
import { LineGate, verbosePlan } from './wrap-verbose.js';
import { WaitWatch } from './wrap-waiting.js';

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

  const captureOk = await prepareCaptureDir(captureDir, opts.maxAgeDays ?? 7, opts.maxTotalBytes ?? 50 * 1024 * 1024, cmd, warn);

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

  const size = (out as Partial<NodeJS.WriteStream>).isTTY ? out : (err as Partial<NodeJS.WriteStream>).isTTY ? err : undefined;
  const { child, clientOut, clientErr, stdinTarget, ttyTarget, ttyIn } = spawnClient({ path: resolved.path, argv, argv0: cmd, env, usePty, ignoreStdin, inputTty, size: size as Partial<NodeJS.WriteStream> | undefined, err });
  const spawned = await started(child);
  if (spawned || child.pid === undefined) {
    err.write(`connwatch wrap: cannot start ${usePty ? SCRIPT_BIN : cmd}: ${spawned?.message ?? 'no pid'}\n`);
    return 126;
  }
  const pid = (usePty ? await clientPidOf(child) : undefined) ?? child.pid;

  const capture = new CaptureWriter(captureOk ? captureDir : undefined, program ?? (basename(cmd).replace(/[^\w.-]/g, '_') || 'client'), pid, program, warn);
  if (capture.path) opts.onCapture?.(capture.path);
  const record = (rec: RecordBody): void => capture.record(rec);
  const added = plan?.added ?? [];
  const { host, port } = targetOf(program, given);
  record({ event: 'start', argv: redactArgv(given, program), ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}), ...(added.length > 0 ? { added } : {}) });

  // What the client is blocked on, once it has been quiet for a while.
  const waits = new WaitWatch(pid, record, opts.quietMs ?? 500, opts.waitPollMs ?? 250);
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
        waits.output();
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
    waits.input();
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
        waits.input();
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
  waits.stop();
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
  await capture.end();
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return 128 + (n ?? 0);
}
