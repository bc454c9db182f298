/**
 * PackageLogs' reading of the package log files (dnf.rpm.log here; pacman.log goes the same way):
 * the first poll reads only the end of a long log and skips the line it starts inside, later polls
 * only what was appended, a line still being written waits for its newline, and a rotated or
 * truncated log is read from its start. Real files, dnf's real line format.
 */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PackageLogs } from '../../agent/correlate/package-logs.js';
import { PackageHistory } from '../../agent/correlate/packages.js';

const dir = mkdtempSync(join(tmpdir(), 'connwatch-pkglogs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const line = (n: number, pkg: string) => `2026-02-14T09:${String(n % 60).padStart(2, '0')}:00+0000 SUBDEBUG Upgrade: ${pkg}-1.0-${n}.fc39.x86_64\n`;

describe('PackageLogs: reading dnf.rpm.log', () => {
  it('reads the end first, then appends, waits for a whole line, and starts over after rotation or truncation', async () => {
    const log = join(dir, 'dnf.rpm.log');
    let text = '';
    for (let i = 0; i < 200; i++) text += line(i, `old${i}`);
    writeFileSync(log, text);
    let lastTen = 0;
    for (let i = 190; i < 200; i++) lastTen += line(i, `old${i}`).length;
    const history = new PackageHistory();
    let changes = 0;
    const logs = new PackageLogs({ history, dnfLog: log, pacmanLog: '', journalctl: [], snap: [], initialBytes: lastTen + 5, onChange: () => changes++ });
    expect(await logs.poll()).toBe(10); // ten whole lines at the end; the cut one before them is skipped
    expect(history.lastChangeOf('old189')).toBeUndefined();
    expect(history.lastChangeOf('old190')).toBeDefined();
    expect(changes).toBe(0); // what was there at start is history, not news

    appendFileSync(log, `${line(1, 'freerdp-libs')}2026-02-14T09:02:00+0000 SUBDEBUG Upgrade: remm`);
    expect(await logs.poll()).toBe(1);
    expect(changes).toBe(1);
    appendFileSync(log, 'ina-1.4.31-1.fc39.x86_64\n');
    expect(await logs.poll()).toBe(1);
    expect(history.lastChangeOf('remmina')).toMatchObject({ newVersion: '1.4.31-1.fc39', from: 'dnf' });

    renameSync(log, `${log}-20260215`);
    writeFileSync(log, line(3, 'after-rotation'));
    expect(await logs.poll()).toBe(1);
    expect(history.lastChangeOf('after-rotation')).toBeDefined();

    truncateSync(log, 0);
    writeFileSync(log, line(4, 'after-truncation'));
    expect(await logs.poll()).toBe(1);
    expect(await logs.poll()).toBe(0);
    expect(changes).toBe(4);
  });

  it('says nothing and finds nothing where the logs and programs do not exist', async () => {
    const history = new PackageHistory();
    const warned: string[] = [];
    const logs = new PackageLogs({ history, dnfLog: join(dir, 'none.log'), pacmanLog: join(dir, 'none2.log'), journalctl: [join(dir, 'no-journalctl')], flatpakDirs: [dir], snap: [join(dir, 'no-snap')], log: { debug: (m) => warned.push(m), warn: (m) => warned.push(m) } });
    expect(await logs.poll()).toBe(0);
    expect(await logs.poll()).toBe(0);
    expect(warned).toEqual([]);
  });

  it('does not run journalctl where no Flatpak installation exists', async () => {
    const calls = join(dir, 'journalctl-calls');
    const stub = join(dir, 'journalctl-stub');
    writeFileSync(stub, `#!/bin/sh\necho "$@" >> '${calls}'\n`);
    chmodSync(stub, 0o755);
    const history = new PackageHistory();
    await new PackageLogs({ history, dnfLog: '', pacmanLog: '', journalctl: [stub], flatpakDirs: [join(dir, 'no-flatpak')], snap: [] }).poll();
    expect(existsSync(calls)).toBe(false);
    await new PackageLogs({ history, dnfLog: '', pacmanLog: '', journalctl: [stub], flatpakDirs: [dir], snap: [] }).poll();
    expect(readFileSync(calls, 'utf8')).toMatch(/-o json --no-pager -q --since=-30d MESSAGE_ID=c7b39b1e006b464599465e105b361485/);
  });
});

describe('PackageLogs: only the histories this machine has', () => {
  it('reads only what exists, decided at start; with none, nothing is polled', async () => {
    const calls = join(dir, 'present-calls');
    const stub = join(dir, 'present-stub');
    writeFileSync(stub, `#!/bin/sh\necho "$0 $@" >> '${calls}'\n`);
    chmodSync(stub, 0o755);
    const dnf = join(dir, 'present-dnf.rpm.log');
    const pacman = join(dir, 'present-pacman.log');
    const none = new PackageLogs({ history: new PackageHistory(), dnfLog: dnf, pacmanLog: pacman, journalctl: [stub], flatpakDirs: [join(dir, 'no-flatpak')], snap: [join(dir, 'no-snap')] });
    expect(none.present()).toEqual([]);
    expect(none.start()).toEqual([]);
    writeFileSync(pacman, '[2026-02-14T10:32:07+0100] [ALPM] upgraded freerdp (2:3.1.0-1 -> 2:3.2.0-1)\n');
    expect(await none.poll()).toBe(0); // appeared after start: not read by this agent
    none.stop();
    expect(existsSync(calls)).toBe(false);

    const history = new PackageHistory();
    const some = new PackageLogs({ history, dnfLog: dnf, pacmanLog: pacman, journalctl: [stub], flatpakDirs: [dir], snap: [stub], intervalMs: 3_600_000 });
    expect(some.present()).toEqual(['pacman', 'flatpak', 'snap']);
    expect(some.start()).toEqual(['pacman', 'flatpak', 'snap']);
    await some.poll(); // after the one start() began
    some.stop();
    expect(history.lastChangeOf('freerdp')?.newVersion).toBe('2:3.2.0-1');
    const ran = readFileSync(calls, 'utf8');
    expect(ran).toMatch(/MESSAGE_ID=/);
    expect(ran).toMatch(/changes --abs-time/);
  });
});
