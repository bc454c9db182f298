/**
 * Starting a wrapped client, with or without a pty of its own (wrap-pty.ts), and the streams
 * wrap connects: its stdout and stderr, its stdin (when wrap's is not inherited), and with a pty
 * the pty's input and output.
 *
 *   const c = spawnClient({ path, argv, argv0, env, usePty, ignoreStdin, inputTty, size: process.stdout });
 *   await started(c.child)   // undefined, or why it did not start
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { childOf, hasControllingTerminal, SCRIPT_BIN, scriptArgv, scriptEnv } from './wrap-pty.js';

export interface SpawnedClient {
  child: ChildProcess;
  clientOut: Readable;
  clientErr: Readable;
  /** Where piped input for the client's stdin goes (undefined: inherited or /dev/null). */
  stdinTarget: Writable | undefined;
  /** With a pty: its input (keystrokes) and its output (what the client writes to /dev/tty). */
  ttyTarget: Writable | undefined;
  ttyIn: Readable | undefined;
}

export interface SpawnClientOptions {
  /** The resolved program, its argv, and the argv[0] it is shown (as the person wrote it). */
  path: string;
  argv: string[];
  argv0: string;
  env: NodeJS.ProcessEnv;
  usePty: boolean;
  ignoreStdin: boolean;
  inputTty: boolean;
  /** The person's terminal, for the pty's size. */
  size: Partial<NodeJS.WriteStream> | undefined;
  /** Where `script`'s own messages go. */
  err: Writable;
}

export function spawnClient(o: SpawnClientOptions): SpawnedClient {
  if (o.usePty) {
    const stdinHow = o.ignoreStdin ? 'null' : o.inputTty ? 'pty' : 'pipe';
    const child = spawn(SCRIPT_BIN, scriptArgv(o.argv, { stdin: stdinHow, rows: o.size?.rows, cols: o.size?.columns }), {
      stdio: ['pipe', 'pipe', 'pipe', stdinHow === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: scriptEnv(o.env),
    });
    const s = child.stdio as unknown as Array<Readable | Writable | null>;
    (s[2] as Readable).pipe(o.err, { end: false });
    return {
      child,
      ttyTarget: s[0] as Writable,
      ttyIn: s[1] as Readable,
      stdinTarget: stdinHow === 'pipe' ? (s[3] as Writable) : undefined,
      clientOut: s[4] as Readable,
      clientErr: s[5] as Readable,
    };
  }
  const child = spawn(o.path, o.argv.slice(1), { stdio: [o.ignoreStdin ? 'ignore' : o.inputTty ? 'inherit' : 'pipe', 'pipe', 'pipe'], env: o.env, shell: false, argv0: o.argv0 });
  return {
    child,
    stdinTarget: !o.ignoreStdin && !o.inputTty ? (child.stdin as Writable) : undefined,
    clientOut: child.stdout as Readable,
    clientErr: child.stderr as Readable,
    ttyTarget: undefined,
    ttyIn: undefined,
  };
}

/** Resolves when the child is started (undefined) or could not be (the error). */
export function started(child: ChildProcess): Promise<Error | undefined> {
  return new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e) => resolve(e));
  });
}

/** The client's pid under `script` (its child), once it is there. */
export async function clientPidOf(script: ChildProcess): Promise<number | undefined> {
  for (let i = 0; i < 200 && script.pid !== undefined && script.exitCode === null && script.signalCode === null; i++) {
    const pid = childOf(script.pid);
    if (pid !== undefined) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** The person's terminal for what the client writes to its pty: stdout or stderr when one is a terminal, else /dev/tty, else stderr. */
export function personTerminal(out: Writable, err: Writable): { stream: Writable; close: () => void } {
  if ((out as Partial<NodeJS.WriteStream>).isTTY) return { stream: out, close: () => undefined };
  if ((err as Partial<NodeJS.WriteStream>).isTTY) return { stream: err, close: () => undefined };
  if (hasControllingTerminal()) {
    const s = createWriteStream('/dev/tty');
    s.on('error', () => undefined);
    return { stream: s, close: () => s.end() };
  }
  return { stream: err, close: () => undefined };
}
