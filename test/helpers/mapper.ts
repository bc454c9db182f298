/**
 * The stale-library tests' real clients: test/helpers/mapper.c compiled under a watched program's
 * name maps the libraries it is given and sleeps; buildLib writes such a library.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A shared library at `path` whose bytes differ by `version` (its directory made if missing). */
export function buildLib(path: string, version: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.c`, `int fake_version(void) { return ${version}; }\n`);
  execFileSync('cc', ['-shared', '-fPIC', '-o', path, `${path}.c`]);
  rmSync(`${path}.c`);
}

/**
 * Starts a mapper and resolves once it says it has mapped everything ("ready"); rejects with its
 * stderr when it exits first. `spawned` sees the child at once, so a test can kill it in its
 * clean-up even when it never got ready.
 */
export function startMapper(exe: string, args: string[], spawned?: (child: ChildProcess) => void): Promise<ChildProcess & { pid: number }> {
  const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned?.(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n') && child.pid !== undefined) resolve(child as ChildProcess & { pid: number });
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => reject(new Error(`${exe} exited with ${code}: ${err}`)));
    child.on('error', reject);
  });
}
