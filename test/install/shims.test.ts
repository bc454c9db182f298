/**
 * The shims `connwatch install --shims` writes run the real program through the real
 * `connwatch wrap` (agent/cli/wrap.ts): the real plink prints its version and exits 0 exactly as
 * without the shim, and its output lands in a capture file; a stand-in client that echoes its
 * arguments and exits 7 gets spaces, quotes, globs, empty and option-like arguments unchanged and
 * its exit code passed back. A client that is not installed gets no shim.
 * Started without a console (stdin a pipe that never writes, as Xming starts it) against a
 * listener that accepts and never speaks, the plink shim's capture holds plink's -v Event Log
 * (`Connected to 127.0.0.1`) and `waiting on:"socket"`, while the program that started it gets
 * none of the added lines on stderr.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempHome, type TempHome } from './home.js';

const homes: TempHome[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h.root, { recursive: true, force: true });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('connwatch install --shims', () => {
  it('the plink shim runs the real plink through connwatch wrap: same output, exit 0, and a capture', async () => {
    const h = tempHome();
    homes.push(h);
    const r = await runCli(['install', '--shims'], { env: h.env() });
    expect(r.code).toBe(0);
    const shim = join(h.home, '.local', 'bin', 'plink');
    expect(readFileSync(shim, 'utf8')).toMatch(/wrap --program plink --verbose-capture -- "\$real" "\$@"/);
    expect(readFileSync(shim, 'utf8')).toContain("real='/usr/bin/plink'");
    const direct = await run('/usr/bin/plink', ['-V'], h.env());
    const viaShim = await run(shim, ['-V'], h.env());
    expect(direct.code).toBe(0);
    expect(viaShim.code).toBe(0);
    expect(viaShim.stdout).toBe(direct.stdout);
    expect(viaShim.stdout).toMatch(/^plink: Release \d/);
    const captures = join(h.home, '.local', 'state', 'connwatch', 'captures');
    const files = readdirSync(captures);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(captures, files[0]!), 'utf8')).toMatch(/"text":"plink: Release \d/);
  });

  it('passes arguments with spaces, quotes and globs unchanged and returns the exit code (stand-in exiting 7)', async () => {
    const h = tempHome();
    homes.push(h);
    const fake = join(h.root, 'fakebin');
    mkdirSync(fake);
    // a stand-in "rdesktop" that echoes each argument in brackets and exits 7
    writeFileSync(join(fake, 'rdesktop'), '#!/bin/sh\nfor a in "$@"; do printf \'[%s]\\n\' "$a"; done\nexit 7\n');
    chmodSync(join(fake, 'rdesktop'), 0o755);
    const env = h.env({ PATH: `${h.stubDir}:${fake}:/usr/bin:/bin` });
    const r = await runCli(['install', '--shims'], { env });
    expect(r.code).toBe(0);
    const shim = join(h.home, '.local', 'bin', 'rdesktop');
    expect(readFileSync(shim, 'utf8')).toContain(`real='${join(fake, 'rdesktop')}'`);
    const args = ['a b', '"quoted"', "it's", '*', '$HOME', '`id`', '', '--', '-u', 'x;y|z', 'ü\tnewline\nend'];
    const res = await run(shim, args, env);
    expect(res.code).toBe(7);
    expect(res.stdout).toBe(args.map((a) => `[${a}]\n`).join(''));
  });

  it('writes no shim for a client that is not installed, and never treats a shim as the real program', async () => {
    const h = tempHome();
    homes.push(h);
    const r = await runCli(['install', '--shims'], { env: h.env() });
    expect(r.stdout).toMatch(/shim for remmina: not installed/);
    expect(existsSync(join(h.home, '.local', 'bin', 'remmina'))).toBe(false);
    // with ~/.local/bin first on PATH, a second install still finds /usr/bin/plink, not its own shim
    const env = h.env({ PATH: `${join(h.home, '.local', 'bin')}:${h.stubDir}:/usr/bin:/bin` });
    const again = await runCli(['install', '--shims'], { env });
    expect(again.code).toBe(0);
    expect(readFileSync(join(h.home, '.local', 'bin', 'plink'), 'utf8')).toContain("real='/usr/bin/plink'");
    expect(again.stdout).not.toMatch(/note: .* plink/);
  });

  it('plink started without a console against a server that never speaks: -v in the capture only, waiting on the socket', async () => {
    const h = tempHome();
    homes.push(h);
    expect((await runCli(['install', '--shims'], { env: h.env() })).code).toBe(0);
    const server = createServer((c) => c.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const shim = join(h.home, '.local', 'bin', 'plink');
      const child = spawn(shim, ['-ssh', '-P', String(port), '-l', 'nobody', '127.0.0.1', 'true'], { env: h.env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const captures = join(h.home, '.local', 'state', 'connwatch', 'captures');
      const text = (): string => {
        try {
          return readdirSync(captures).map((f) => readFileSync(join(captures, f), 'utf8')).join('');
        } catch {
          return '';
        }
      };
      const until = Date.now() + 20_000;
      while (!text().includes('"event":"waiting","on":"socket"') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const recs = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(recs[0]).toMatchObject({ event: 'start', argv: ['/usr/bin/plink', '-ssh', '-P', String(port), '-l', 'nobody', '127.0.0.1', 'true'], added: ['-v'], host: '127.0.0.1', port });
      expect(recs.some((r) => r.stream === 'stderr' && r.text === 'Connected to 127.0.0.1')).toBe(true);
      expect(recs.find((r) => r.event === 'waiting')).toMatchObject({ on: 'socket' });
      process.kill(-child.pid!, 'SIGTERM');
      expect(await exited).toBe(143);
      expect(stderr).toBe('');
    } finally {
      server.close();
    }
  });

  it.skipIf(!existsSync('/usr/bin/xvfb-run') || !existsSync('/usr/bin/xfreerdp'))('xfreerdp started without a console against a server that never speaks: DEBUG in the capture only, waiting on the socket', async () => {
    const h = tempHome();
    homes.push(h);
    expect((await runCli(['install', '--shims'], { env: h.env() })).code).toBe(0);
    const server = createServer((c) => c.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const shim = join(h.home, '.local', 'bin', 'xfreerdp');
      const env = h.env();
      delete env.WLOG_LEVEL;
      const child = spawn('xvfb-run', ['-a', shim, `/v:127.0.0.1:${port}`, '/cert:ignore', '/u:someone', '/p:not-shown'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const captures = join(h.home, '.local', 'state', 'connwatch', 'captures');
      const text = (): string => {
        try {
          return readdirSync(captures).map((f) => readFileSync(join(captures, f), 'utf8')).join('');
        } catch {
          return '';
        }
      };
      const until = Date.now() + 30_000;
      while (!text().includes('"event":"waiting","on":"socket"') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const recs = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(recs[0]).toMatchObject({ event: 'start', program: 'freerdp', added: ['WLOG_LEVEL=DEBUG'], host: '127.0.0.1', port });
      expect(recs[0]!.argv).toContain('/p:***');
      expect(text()).not.toContain('not-shown');
      expect(recs.find((r) => r.event === 'waiting')).toMatchObject({ on: 'socket' });
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      // the DEBUG records (block-buffered, written at exit) went to the capture, not to stdout
      expect(text()).toMatch(/\[DEBUG\]\[com\.freerdp/);
      expect(stdout).not.toContain('[DEBUG]');
    } finally {
      server.close();
    }
  });
});
