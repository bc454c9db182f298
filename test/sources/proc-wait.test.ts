/**
 * classifyWait on /proc snapshots of real blocked processes.
 *
 * The fixtures (test/sources/fixtures/proc-wait/*.json) were taken with readProcSnapshot from
 * real clients against a real sshd 9.2 on 127.0.0.1 (x86-64, Debian 12): plink 0.78 at its
 * host-key question with stdin a pipe that never writes (read(0)), plink in a session (poll on
 * stdin, its socket and a pipe), plink at its password prompt when it has a terminal (it opens
 * /dev/tty: read(6)), ssh 9.2 at `Are you sure you want to continue connecting` on a pty
 * (read(4) of /dev/tty), ssh in a session (poll on its socket and a copy of stdin), xfreerdp
 * 2.11 at `Do you trust the above certificate? (Y/T/N)` against freerdp-shadow-cli (the main
 * thread polls an eventfd, a worker thread is in read(0)).
 * The live cases start real processes here and classify them as they block: cat reading a
 * pipe, head reading /dev/tty on a pty of its own, bash reading a TCP socket, sleep, a busy loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyWait, parseSyscall, readProcSnapshot, type ProcSnapshot, type Wait } from '../../agent/sources/proc-wait.js';
import { childOf } from '../../agent/sources/wrap-pty.js';
import { sleep, waitFor } from './helpers.js';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'proc-wait');

describe('classifyWait on recorded snapshots of real clients', () => {
  const expected: Record<string, Wait> = {
    'plink-hostkey-prompt': { on: 'stdin', fd: 0 },
    'plink-session': { on: 'socket', fd: 5 },
    'plink-password-prompt-pty': { on: 'tty', fd: 6 },
    'ssh-hostkey-prompt-pty': { on: 'tty', fd: 4 },
    'ssh-session': { on: 'socket', fd: 3 },
    'xfreerdp-certificate-prompt': { on: 'stdin', fd: 0 },
  };
  for (const file of readdirSync(fixtures)) {
    const name = file.replace(/\.json$/, '');
    it(name, () => {
      const f = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as { snapshot: ProcSnapshot };
      expect(classifyWait(f.snapshot)).toEqual(expected[name]);
    });
  }

  it('a stdin that is a socketpair (node started the client) is still stdin; a copy of it too', () => {
    const snap: ProcSnapshot = { arch: 'x64', threads: [{ syscall: '7 0x1 0x2 0x0', wchan: 'poll_schedule_timeout', waitFds: [4] }], fds: { 0: 'socket:[9]', 4: 'socket:[9]' } };
    expect(classifyWait(snap)).toEqual({ on: 'stdin', fd: 4 });
  });

  it('the main thread waiting for another thread: the thread reading the terminal decides', () => {
    const snap: ProcSnapshot = {
      arch: 'x64',
      threads: [
        { syscall: '202 0x7f 0x80 0x0', wchan: 'futex_wait_queue' },
        { syscall: '7 0x1 0x2 0x0', wchan: 'poll_schedule_timeout', waitFds: [9] },
        { syscall: '0 0x8 0x7f 0x1', wchan: 'wait_woken' },
      ],
      fds: { 0: '/dev/null', 8: '/dev/pts/3', 9: 'socket:[77]' },
    };
    expect(classifyWait(snap)).toEqual({ on: 'tty', fd: 8 });
  });

  it('running, unknown architectures and bad lines', () => {
    expect(classifyWait({ arch: 'x64', threads: [{ syscall: 'running', wchan: '0' }], fds: {} })).toEqual({ on: 'none' });
    expect(classifyWait({ arch: 'riscv64', threads: [{ syscall: '63 0x0 0x1 0x1', wchan: 'x' }], fds: { 0: 'pipe:[1]' } })).toEqual({ on: 'other' });
    expect(classifyWait({ arch: 'arm64', threads: [{ syscall: '63 0x0 0x1 0x1', wchan: 'x' }], fds: { 0: 'pipe:[1]' } })).toEqual({ on: 'stdin', fd: 0 });
    expect(parseSyscall('-1 0x7ffd 0x0')).toBeUndefined();
    expect(parseSyscall('0 0x7 0x10')).toEqual({ nr: 0, args: [7n, 16n] });
  });
});

describe.runIf(process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64'))('readProcSnapshot + classifyWait on live processes', () => {
  const children: ChildProcess[] = [];
  let server: Server | undefined;
  afterEach(() => {
    for (const c of children.splice(0)) if (c.pid) process.kill(-c.pid, 'SIGKILL');
    server?.close();
    server = undefined;
  });
  const start = (file: string, args: string[]): ChildProcess => {
    const c = spawn(file, args, { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    children.push(c);
    return c;
  };
  const settle = async (pid: number, want: Wait['on']): Promise<Wait> => {
    let w: Wait = { on: 'none' };
    await waitFor(() => {
      const s = readProcSnapshot(pid);
      w = s ? classifyWait(s) : { on: 'none' };
      return w.on === want;
    }, `${pid} to wait on ${want}`, 10_000).catch(() => undefined);
    return w;
  };

  it('cat reading its stdin pipe → stdin, fd 0', async () => {
    const c = start('cat', []);
    expect(await settle(c.pid!, 'stdin')).toEqual({ on: 'stdin', fd: 0 });
  });

  it('head reading /dev/tty on a pty of its own (util-linux script) → tty', async () => {
    const c = start('script', ['-q', '-c', 'exec head -c1 /dev/tty', '/dev/null']);
    let pid: number | undefined;
    await waitFor(() => (pid = childOf(c.pid!)) !== undefined, 'script child');
    const w = await settle(pid!, 'tty');
    expect(w.on).toBe('tty');
    expect(readProcSnapshot(pid!)?.fds[w.fd!]).toBe('/dev/tty');
  });

  it('bash reading a TCP socket that never speaks → socket', async () => {
    server = createServer(() => undefined);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const c = start('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}; read -r -u 3 line`]);
    expect(await settle(c.pid!, 'socket')).toEqual({ on: 'socket', fd: 3 });
  });

  it('sleep → other; a busy loop → none', async () => {
    const s = start('sleep', ['30']);
    expect((await settle(s.pid!, 'other')).on).toBe('other');
    const b = start('sh', ['-c', 'while :; do :; done']);
    await sleep(100);
    expect((await settle(b.pid!, 'none')).on).toBe('none');
  });
});
