/**
 * `connwatch wrap -- CMD …` on a terminal, as a person types it: util-linux `script` gives wrap
 * a pty standing for the person's terminal (its stdin, stdout and stderr; only the test writes
 * to it), so wrap gives the client a pty of its own and questions asked on /dev/tty (ssh's
 * host-key and password questions) reach the screen and the capture.
 *
 *   const t = wrapOnTerminal({ captureDir, argv: ['ssh', '-p', '2222', 'u@127.0.0.1', 'true'] });
 *   t.screen();                    // what the person's terminal shows
 *   t.records();                   // the capture file's records (one file in captureDir)
 *   t.type('yes\n');               // the person types
 *   await t.exited;                // script's exit code (wrap's, the client's)
 *   await t.stop();                // SIGTERM to the whole session; idempotent
 *
 * `stdinFromNull` runs `wrap … </dev/null` in that terminal: the person still answers on the
 * terminal, which wrap reads from /dev/tty. `env` is added to the environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from './cli.js';

export interface OnTerminal {
  child: ChildProcess;
  screen(): string;
  records(): Array<Record<string, unknown>>;
  type(text: string): void;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const sq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

export function wrapOnTerminal(options: { captureDir: string; argv: string[]; stdinFromNull?: boolean; env?: NodeJS.ProcessEnv }): OnTerminal {
  const wrap = [process.execPath, BIN, 'wrap', '--capture-dir', options.captureDir, '--', ...options.argv];
  const cmd = `exec ${wrap.map(sq).join(' ')}${options.stdinFromNull ? ' </dev/null' : ''}`;
  const child = spawn('script', ['-q', '-e', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, SHELL: '/bin/sh', ...options.env } });
  let screen = '';
  child.stdout!.on('data', (d: Buffer) => (screen += d.toString()));
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    screen: () => screen,
    records: () => {
      try {
        const [f] = readdirSync(options.captureDir).filter((n) => n.endsWith('.jsonl'));
        return f ? readFileSync(join(options.captureDir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
      } catch {
        return [];
      }
    },
    type: (text) => child.stdin!.write(text),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // gone meanwhile
        }
      }
      await exited;
    },
  };
}
