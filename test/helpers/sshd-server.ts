/**
 * A real OpenSSH sshd for tests, on 127.0.0.1 only, on a free port, with everything it needs in
 * a temporary directory: its own sshd_config, fresh host keys (ssh-keygen), a PID file and its log.
 *
 *   const server = await startSshd({ config: ['KexAlgorithms curve25519-sha256'] });
 *   // … run clients against 127.0.0.1:server.port …
 *   await server.waitForLog(/Accepted publickey/);
 *   await server.stop();           // SIGTERM, waits for exit; the log keeps "Received signal 15"
 *   server.lines()                 // the log, one string per line, CR/LF removed
 *
 * Logging: `log: 'file'` (default) runs `sshd -D -E <dir>/sshd.log` (what `-E` writes);
 * `log: 'stderr'` runs `sshd -D -e` and collects stderr into the same file (the bare `-e` lines).
 * Both give CRLF-terminated lines without timestamps, exactly as sshd writes them.
 *
 * sshd insists on an absolute path, root-owned private host keys of mode 0600 and an existing
 * privilege-separation directory (/run/sshd on Debian, created here when missing and we are root).
 * Authentication needs root too (sshd switches to the user); `sshdUnavailable()` says why a test
 * should skip. `ensureTestUser()` creates a throwaway local account (root only) with a random
 * password, so password failures are "Failed password" rather than "account is locked".
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnwatchError } from '../../agent/errors.js';

export const SSHD_BIN = '/usr/sbin/sshd';
export const PRIVSEP_DIR = '/run/sshd';

export interface SshdOptions {
  /** Extra sshd_config lines. They come first: sshd keeps the first value it reads, so these override the defaults. */
  config?: readonly string[];
  /** LogLevel (default VERBOSE, which shows `Connection from`, `Postponed`, `Starting session`). */
  logLevel?: 'QUIET' | 'FATAL' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG1' | 'DEBUG2' | 'DEBUG3';
  /** `file` = `-E file` (default), `stderr` = `-e` with stderr captured into the log file. */
  log?: 'file' | 'stderr';
  /** Files to authorize for public-key login: contents of authorized_keys. */
  authorizedKeys?: string;
  /** How long to wait for `Server listening on` (ms, default 20 s). */
  startTimeoutMs?: number;
}

export interface SshdServer {
  port: number;
  /** The temporary directory holding config, keys, log. */
  dir: string;
  logFile: string;
  configFile: string;
  /** Public host key (ed25519) and its SHA256 fingerprint, for clients that pin it (plink -hostkey). */
  hostKeyPub: string;
  hostKeyFingerprint: string;
  pid: number;
  /** The log as written so far, split into lines, line endings removed. */
  lines(): string[];
  /** Polls the log until a line matches (returns it) or the timeout passes (throws, with the log). */
  waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** SIGTERM, wait for exit (SIGKILL after a grace period). Safe to call twice. */
  stop(): Promise<void>;
  /** stop() and remove the temporary directory. */
  dispose(): Promise<void>;
}

/** Why a real sshd cannot run here, or undefined when it can. */
export function sshdUnavailable(): string | undefined {
  if (!existsSync(SSHD_BIN)) return `${SSHD_BIN} is missing (install openssh-server)`;
  if (!which('ssh-keygen')) return 'ssh-keygen is missing (install openssh-client)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'sshd tests need root (sshd switches to the test user to authenticate)';
  return undefined;
}

/** The absolute path of a program on PATH, or undefined. */
export function which(program: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

/**
 * Makes sure a local account `name` exists with a random password (unlocked), a home directory
 * and /bin/sh. Root only. Returns the name.
 */
export function ensureTestUser(name = 'cwtest'): string {
  const exists = spawnSync('id', ['-u', name]).status === 0;
  if (!exists) {
    const r = spawnSync('useradd', ['-m', '-s', '/bin/sh', name], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new ConnwatchError('INTERNAL', `Cannot create the test user "${name}": useradd exited ${String(r.status)}: ${r.stderr.trim()}`, {
        hint: 'Run the sshd tests as root on a throwaway machine (CI), or create the user by hand.',
      });
    }
  }
  const pw = randomBytes(12).toString('hex');
  const r = spawnSync('chpasswd', [], { input: `${name}:${pw}\n`, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new ConnwatchError('INTERNAL', `Cannot set a password for the test user "${name}": chpasswd exited ${String(r.status)}: ${r.stderr.trim()}`, {
      hint: 'Run the sshd tests as root; the account must not be locked or sshd logs "account is locked" instead of "Failed password".',
    });
  }
  return name;
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function keygen(args: string[]): string {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new ConnwatchError('INTERNAL', `ssh-keygen ${args.join(' ')} failed (exit ${String(r.status)}): ${r.stderr.trim()}`, {
      hint: 'Check that openssh-client is installed and the temporary directory is writable.',
    });
  }
  return r.stdout;
}

/** Starts sshd; retries on another port if the chosen one was taken meanwhile. */
export async function startSshd(options: SshdOptions = {}): Promise<SshdServer> {
  const reason = sshdUnavailable();
  if (reason) throw new ConnwatchError('INTERNAL', `Cannot start sshd: ${reason}`, { hint: 'Skip the test with sshdUnavailable() first.' });
  if (!existsSync(PRIVSEP_DIR)) mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });

  const dir = mkdtempSync(join(tmpdir(), 'connwatch-sshd-'));
  // sshd reads authorized_keys as the user: the directory must be traversable by others.
  chmodSync(dir, 0o755);
  keygen(['-q', '-t', 'ed25519', '-N', '', '-C', 'connwatch-test-host', '-f', join(dir, 'ssh_host_ed25519_key')]);
  const hostKeyPub = readFileSync(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
  const fp = /^\d+ (SHA256:\S+)/.exec(keygen(['-l', '-E', 'sha256', '-f', join(dir, 'ssh_host_ed25519_key.pub')]));
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, options.authorizedKeys ?? '', { mode: 0o644 });
  chmodSync(authorizedKeys, 0o644);

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(dir, port, hostKeyPub, fp?.[1] ?? '', authorizedKeys, options);
    } catch (err) {
      lastError = err;
      if (!(err instanceof ConnwatchError && /Address already in use/.test(err.message))) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function launch(
  dir: string,
  port: number,
  hostKeyPub: string,
  hostKeyFingerprint: string,
  authorizedKeys: string,
  options: SshdOptions,
): Promise<SshdServer> {
  const configFile = join(dir, `sshd_config.${port}`);
  const logFile = join(dir, `sshd.${port}.log`);
  writeFileSync(
    configFile,
    [
      '# connwatch test sshd: loopback only',
      ...(options.config ?? []),
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
      `PidFile ${join(dir, `sshd.${port}.pid`)}`,
      `LogLevel ${options.logLevel ?? 'VERBOSE'}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin no',
      'PrintMotd no',
      'PerSourcePenalties no',
      '',
    ]
      .filter((l) => !(l === 'PerSourcePenalties no' && !supportsPenalties()))
      .join('\n'),
  );
  const mode = options.log ?? 'file';
  const args = ['-D', '-f', configFile, ...(mode === 'file' ? ['-E', logFile] : ['-e'])];
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(SSHD_BIN, args, { stdio: ['ignore', 'ignore', mode === 'stderr' ? fd : 'pipe'] });
  } finally {
    closeSync(fd);
  }
  let early = '';
  child.stderr?.on('data', (b: Buffer) => (early += b.toString('utf8')));
  let exited = false;
  // A test run that dies without stop() must not leave an sshd listening behind it.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGTERM');
  };
  process.once('exit', killOnExit);
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );

  const lines = (): string[] => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const out = text.split(/\r?\n/);
    if (out.at(-1) === '') out.pop();
    return out;
  };

  const waitForLog = async (re: RegExp, timeoutMs = 20_000, from = 0): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines().slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) {
        throw new ConnwatchError('INTERNAL', `sshd on 127.0.0.1:${port} did not log ${String(re)} within ${timeoutMs} ms. Log:\n${lines().join('\n')}${early}`, {
          hint: `Config: ${configFile}`,
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(killer);
  };

  const startDeadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (lines().some((l) => /Server listening on/.test(l))) break;
    const all = lines().join('\n') + early;
    if (exited || /Address already in use|Cannot bind any address/.test(all) || Date.now() > startDeadline) {
      await stop();
      throw new ConnwatchError('INTERNAL', `sshd did not start on 127.0.0.1:${port}: ${all.trim() || 'no output'}`, {
        hint: `Run "${SSHD_BIN} -t -f ${configFile}" to see what it dislikes.`,
      });
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    port,
    dir,
    logFile,
    configFile,
    hostKeyPub,
    hostKeyFingerprint,
    pid: child.pid ?? 0,
    lines,
    waitForLog,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let penalties: boolean | undefined;
/** PerSourcePenalties (9.8+) would lock our repeated failing loopback clients out: turn it off where it exists. */
function supportsPenalties(): boolean {
  if (penalties === undefined) {
    const r = spawnSync(SSHD_BIN, ['-t', '-f', '/dev/null', '-o', 'PerSourcePenalties=no'], { encoding: 'utf8' });
    penalties = !/Bad configuration option|unsupported option/i.test(`${r.stderr}${r.stdout}`);
  }
  return penalties;
}
