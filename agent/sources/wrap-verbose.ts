/**
 * "Verbose for the capture only": `connwatch wrap --verbose-capture` (what the shims pass) makes
 * a client that shows no console (neither stdin nor stderr is a terminal: started by Xming, a
 * menu, a launcher) log more, keeps that log in the capture file, and withholds the added lines
 * from what is passed on to the program that started it.
 *
 *   const plan = verbosePlan('plink', argv, env);   // { argv: [plink, '-v', …], env, hides }
 *   const gate = new LineGate(plan.hides, (b) => process.stderr.write(b), 300);
 *   gate.push(chunk)  → the bytes to pass on now (whole lines that are not hidden)
 *
 * Per client (measured with plink 0.78 and xfreerdp 2.11, docs/sources.md):
 *   - plink: `-v` added unless given; hidden are the Event Log lines plink prints only with -v
 *     (a list of their openings, below), never FATAL ERROR, prompts, remote stderr or anything
 *     unknown;
 *   - xfreerdp: WLOG_LEVEL=DEBUG in its environment unless WLOG_LEVEL or /log-level: is given;
 *     hidden are the `[DEBUG]`/`[TRACE]` records and the lines that continue them.
 * Other clients: no plan (rdesktop -v adds one line, `Connecting to server using NLA...`).
 */
import { existsSync } from 'node:fs';
import type { Program } from '../event.js';

export interface VerbosePlan {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** What was added, for the start record: "-v", "WLOG_LEVEL=DEBUG". */
  added: string[];
  /** Which streams the added output arrives on. */
  streams: ReadonlyArray<'stdout' | 'stderr'>;
  /** Is this complete line (without its newline) one the client printed only because of us? */
  hides: (line: string, previousHidden: boolean) => boolean;
}

const PLINK_EVENT_LOG = new RegExp(
  '^(' +
    [
      'Looking up host "',
      'Connecting to .* port \\d+$',
      'Connected to ',
      'Failed to connect to ',
      'We claim version: ',
      'Remote version: ',
      'Server version: ',
      'Using SSH protocol version ',
      'We believe remote version has ',
      'Enabling strict key exchange semantics',
      'Doing .*(key exchange|group exchange)',
      'Using Diffie-Hellman with ',
      'Host key fingerprint is:',
      '(ssh-[\\w-]+|ecdsa-[\\w-]+) \\d+ SHA256:\\S+$',
      'Initialised ',
      'Reading key file "',
      'Using username "',
      'Offered public key',
      'Offer of public key accepted',
      'Authenticating with public key "',
      'Sent public key signature',
      'Sent password',
      'Password authentication failed',
      'Attempting keyboard-interactive',
      'Access granted',
      'Opening main session channel',
      'Opened main channel',
      'Started a shell/command',
      'Remote debug message: ',
      'Session sent command exit status ',
      'Server sent command exit status ',
      'Main session channel closed',
      'All channels closed',
      'Pageant ',
      'Requesting ',
      'Configured password was not accepted$',
    ].join('|') +
    ')',
);

const WLOG_RECORD = /^\[\d\d:\d\d:\d\d:\d{3}\] \[\d+:\d+\] \[(\w+)\]/;

/**
 * xfreerdp's stdout in a pipe is block-buffered: its DEBUG lines ("connecting to peer") would
 * reach the capture only 4 KiB at a time or at its exit, so a client stuck at a silent server
 * would never be seen. coreutils' libstdbuf (what `stdbuf -oL` preloads) makes it line-buffered.
 */
const LIBSTDBUF = ['/usr/libexec/coreutils/libstdbuf.so', '/usr/lib/coreutils/libstdbuf.so', '/usr/lib64/coreutils/libstdbuf.so'];
function lineBuffered(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const lib = LIBSTDBUF.find((p) => existsSync(p));
  return lib ? { LD_PRELOAD: env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib, _STDBUF_O: 'L' } : {};
}

/** What to add and what to withhold for `program`, or undefined when nothing is added. */
export function verbosePlan(program: Program | undefined, argv: string[], env: NodeJS.ProcessEnv): VerbosePlan | undefined {
  if (program === 'plink') {
    if (argv.slice(1).includes('-v')) return undefined;
    return {
      argv: [argv[0] as string, '-v', ...argv.slice(1)],
      env,
      added: ['-v'],
      streams: ['stderr'],
      hides: (line) => PLINK_EVENT_LOG.test(line.replace(/\r$/, '')),
    };
  }
  if (program === 'freerdp') {
    if (env.WLOG_LEVEL !== undefined || argv.some((a) => /^[/-]log-level:/i.test(a))) return undefined;
    return {
      argv,
      env: { ...env, WLOG_LEVEL: 'DEBUG', ...lineBuffered(env) },
      added: ['WLOG_LEVEL=DEBUG'],
      streams: ['stdout', 'stderr'],
      hides: (line, previousHidden) => {
        const m = WLOG_RECORD.exec(line);
        if (m) return m[1] === 'DEBUG' || m[1] === 'TRACE';
        return previousHidden; // the rest of a multi-line record (the build configuration dump)
      },
    };
  }
  return undefined;
}

/**
 * Passes whole lines on unless hidden; a line without newline yet (a prompt) is passed on after
 * `holdMs` of quiet, unless what there is of it reads as a hidden line (xfreerdp's stdout is
 * block-buffered in a pipe and cuts its DEBUG records anywhere): that waits for its newline.
 */
export class LineGate {
  private pending = Buffer.alloc(0);
  private previousHidden = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hides: (line: string, previousHidden: boolean) => boolean,
    private readonly late: (b: Buffer) => void,
    private readonly holdMs: number,
  ) {}

  push(chunk: Buffer): Buffer {
    clearTimeout(this.timer);
    const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, from);
      if (nl === -1) break;
      const line = buf.subarray(from, nl + 1);
      const hidden = this.hides(line.subarray(0, line.length - 1).toString('utf8'), this.previousHidden);
      this.previousHidden = hidden;
      if (!hidden) out.push(line);
      from = nl + 1;
    }
    this.pending = Buffer.from(buf.subarray(from));
    if (this.pending.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.holdMs);
      this.timer.unref();
    }
    return Buffer.concat(out);
  }

  /** Pass on what is held (a prompt) unless it reads as the start of a hidden line, which waits for its newline; at the end of the stream, unless hidden. */
  flush(end = false): void {
    clearTimeout(this.timer);
    if (this.pending.length === 0) return;
    if (this.hides(this.pending.toString('utf8'), this.previousHidden)) {
      if (end) this.pending = Buffer.alloc(0);
      return;
    }
    const b = this.pending;
    this.pending = Buffer.alloc(0);
    this.previousHidden = false;
    this.late(b);
  }
}
