/**
 * doctor: the inotify watch limit, from a /proc root built for the test (low limit; limit nearly
 * used by the user's processes) and from this machine's real /proc.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorContext } from '../../agent/doctor/check.js';
import { checkInotify, inotifyWatchesInUse } from '../../agent/doctor/inotify.js';
import { realSystem, type System } from '../../agent/doctor/system.js';

const root = mkdtempSync(join(tmpdir(), 'connwatch-doctor-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakeProc(name: string, max: number, procs: Array<{ pid: number; uid: number; watches: number[] }>): string {
  const proc = join(root, name);
  mkdirSync(join(proc, 'sys', 'fs', 'inotify'), { recursive: true });
  writeFileSync(join(proc, 'sys', 'fs', 'inotify', 'max_user_watches'), `${max}\n`);
  for (const p of procs) {
    mkdirSync(join(proc, String(p.pid), 'fdinfo'), { recursive: true });
    writeFileSync(join(proc, String(p.pid), 'status'), `Name:\tx\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n`);
    p.watches.forEach((n, fd) => {
      const lines = Array.from({ length: n }, (_, i) => `inotify wd:${i + 1} ino:${i} sdev:800001 mask:fc6 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:00`);
      writeFileSync(join(proc, String(p.pid), 'fdinfo', String(fd + 3)), `pos:\t0\nflags:\t02004000\nmnt_id:\t15\n${lines.join('\n')}\n`);
    });
  }
  return proc;
}

const sysWith = (procRoot: string, uid = 1000): System => ({ ...realSystem(), procRoot, uid });

describe('doctor: inotify', () => {
  it('a low limit: warns with the value, where it is, and the sysctl fix', () => {
    const proc = fakeProc('low', 1024, []);
    const [r] = checkInotify(doctorContext(sysWith(proc)));
    expect(r).toEqual({
      check: 'inotify',
      status: 'warn',
      finding: `the inotify watch limit is low: ${join(proc, 'sys/fs/inotify/max_user_watches')} is 1024 (below 8192); log changes may be noticed late or missed`,
      fix: 'echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/60-inotify-watches.conf && sudo sysctl --system',
    });
  });

  it('nearly used by the user’s processes (other users’ watches do not count): warns', () => {
    const proc = fakeProc('used', 8192, [
      { pid: 100, uid: 1000, watches: [5000, 2500] },
      { pid: 200, uid: 0, watches: [8000] },
    ]);
    expect(inotifyWatchesInUse(proc, 1000)).toBe(7500);
    const [r] = checkInotify(doctorContext(sysWith(proc)));
    expect(r!.status).toBe('warn');
    expect(r!.finding).toBe(`inotify watches nearly used up: your processes hold 7500 of 8192 (${join(proc, 'sys/fs/inotify/max_user_watches')})`);
    expect(checkInotify(doctorContext(sysWith(proc, 4242)))[0]).toMatchObject({ status: 'ok', finding: 'inotify: 0 of 8192 watches in use' });
  });

  it('this machine’s /proc: reads the real limit and counts real watches', () => {
    const [r] = checkInotify(doctorContext(realSystem()));
    expect(r!.finding).toMatch(/^inotify: \d+ of \d+ watches in use$|^the inotify watch limit is low|nearly used up/);
  });
});
