/**
 * RDP test helpers.
 *
 * 1. startRdpServer(): a real FreeRDP shadow server (`freerdp-shadow-cli`, Debian freerdp2-shadow-x11)
 *    on 127.0.0.1 and a free port, NLA only, credentials from a SAM file, sharing a private Xvfb
 *    display it starts itself (`-noreset`, so the display survives its last client leaving). This is
 *    the server of the shared captures 11–13 (see the commands.sh files of test/fixtures/rdp/11-rdp-nla-shadow-server):
 *
 *      const srv = await startRdpServer();          // throws ConnwatchError if it cannot start
 *      // xfreerdp /v:127.0.0.1:${srv.port} /u:${srv.user} /p:${srv.password} … with DISPLAY=srv.display
 *      srv.serverLog();                              // what the server wrote so far
 *      await srv.stop();                             // kills the server and Xvfb (also in afterAll!)
 *
 *    The SAM file (test/fixtures/rdp/server/SAM) holds `rdpuser` with the NT hash of
 *    `RDPtest-Pass-2024` (`winpr-hash -u rdpuser -p RDPtest-Pass-2024 -f sam`). Every child gets
 *    its own HOME under a temporary directory (the server's self-signed certificate lives there).
 *    rdpMissing() names the binaries that are not installed, so a test can skip with a reason.
 *
 * 2. runClient(): runs a client (xfreerdp, rdesktop) bounded by timeout(1), with a chosen stdin,
 *    and returns its stdout/stderr, exit code and whether it hung.
 *
 * 3. fixtureFiles() / routeFile(): every client.stdout, client.stderr and server.log of a fixture
 *    folder, and a finished file pushed through the agent's LineRouter the way a source would hand it
 *    on (the last line without newline arrives as partial).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnwatchError } from '../../agent/errors.js';
import type { Event, Program } from '../../agent/event.js';
import { LineRouter } from '../../agent/parsers/router.js';

export const RDP_USER = 'rdpuser';
export const RDP_PASSWORD = 'RDPtest-Pass-2024';
const SAM = fileURLToPath(new URL('../fixtures/rdp/server/SAM', import.meta.url));

/** Binaries the real RDP tests need that are missing from PATH. */
export function rdpMissing(names: readonly string[] = ['Xvfb', 'freerdp-shadow-cli', 'xfreerdp', 'rdesktop', 'timeout']): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v "$1"`, 'sh', n]).status !== 0);
}

/** A TCP port nobody listens on right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

function listening(port: number): boolean {
  const r = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('LISTEN');
}

/** A display number whose X socket does not exist yet. */
function freeDisplay(): number {
  for (let n = 90 + Math.floor(Math.random() * 400); ; n++) {
    try {
      statSync(`/tmp/.X11-unix/X${n}`);
    } catch {
      try {
        statSync(`/tmp/.X${n}-lock`);
      } catch {
        return n;
      }
    }
  }
}

export interface RdpServer {
  port: number;
  /** DISPLAY value of the private Xvfb, for the server and the clients. */
  display: string;
  user: string;
  password: string;
  /** Scratch directory (server log, HOMEs); removed by stop(). */
  dir: string;
  serverLog(): string;
  /** A fresh HOME for a client (no stored certificates). */
  home(name: string): string;
  stop(): Promise<void>;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Xvfb and freerdp-shadow-cli (NLA, SAM file) on 127.0.0.1 and a free port. */
export async function startRdpServer(options: { security?: 'nla' | 'tls' | 'rdp' } = {}): Promise<RdpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'connwatch-rdp-'));
  const n = freeDisplay();
  const display = `:${n}`;
  const xvfb = spawn('Xvfb', [display, '-noreset', '-nolisten', 'tcp', '-screen', '0', '800x600x24'], { stdio: 'ignore' });
  const started: ChildProcess[] = [xvfb];
  const stopAll = async () => {
    for (const c of started.reverse()) await kill(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!(await waitFor(() => xvfb.exitCode === null && exists(`/tmp/.X11-unix/X${n}`), 15_000))) {
      throw new ConnwatchError('INTERNAL', `Xvfb ${display} did not start`, { hint: 'install xvfb (apt-get install xvfb)' });
    }
    const port = await freePort();
    const logPath = join(dir, 'server.log');
    const fd = openSync(logPath, 'a');
    const srvHome = join(dir, 'home-server');
    const server = spawn(
      'freerdp-shadow-cli',
      [`/port:${port}`, '/bind-address:127.0.0.1', `/sec:${options.security ?? 'nla'}`, `/sam-file:${SAM}`],
      { stdio: ['ignore', fd, fd], env: { ...process.env, HOME: srvHome, DISPLAY: display } },
    );
    closeSync(fd);
    started.push(server);
    if (!(await waitFor(() => server.exitCode === null && listening(port), 20_000, 200))) {
      throw new ConnwatchError('INTERNAL', `freerdp-shadow-cli did not listen on 127.0.0.1:${port}`, {
        hint: 'install freerdp2-shadow-x11; its log follows',
        cause: readFileSync(logPath, 'utf8'),
      });
    }
    let homes = 0;
    return {
      port,
      display,
      user: RDP_USER,
      password: RDP_PASSWORD,
      dir,
      serverLog: () => readFileSync(logPath, 'utf8'),
      home: (name: string) => mkdtempSync(join(dir, `home-${name}-${homes++}-`)),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

export interface ClientRun {
  stdout: string;
  stderr: string;
  /** Exit code; 124 = killed by timeout(1) because it was still running. */
  code: number | null;
  hung: boolean;
}

/**
 * Runs `cmd args` under `timeout -s TERM seconds`, with stdin from `input` (then closed), or open
 * and silent for the whole run when `input` is 'silent', or /dev/null when undefined.
 */
export function runClient(cmd: string, args: string[], opts: { seconds: number; env: NodeJS.ProcessEnv; input?: string | 'silent' }): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['-k', '3', '-s', 'TERM', String(opts.seconds), cmd, ...args], {
      env: opts.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (child.stdin && typeof opts.input === 'string' && opts.input !== 'silent') {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
    const guard = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 10) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin?.destroy();
      resolve({ stdout, stderr, code, hung: code === 124 });
    });
  });
}

/** Every client.stdout / client.stderr / server.log under a fixture folder. */
export function fixtureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...fixtureFiles(p));
    else if (/^(?:client\.stdout|client\.stderr|server\.log)$/.test(name)) out.push(p);
  }
  return out.sort();
}

/** Text pushed through one LineRouter, line by line; a last line without newline arrives partial. */
export function routeText(text: string, program?: Program, source = 'test'): { events: Event[]; router: LineRouter; lines: number } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const router = new LineRouter(program ? { program } : {});
  const events: Event[] = [];
  lines.forEach((line, i) => {
    const partial = i === lines.length - 1 && !text.endsWith('\n');
    events.push(
      ...router.route({
        sourceId: source,
        text: line,
        receivedAt: Date.UTC(2026, 10, 21, 12),
        position: { source, line: i + 1 },
        ...(partial ? { partial: true } : {}),
      }),
    );
  });
  events.push(...router.end());
  return { events, router, lines: lines.length };
}

export function routeFile(path: string, program?: Program): { events: Event[]; router: LineRouter; lines: number } {
  return routeText(readFileSync(path, 'utf8'), program, `file:${path}`);
}
