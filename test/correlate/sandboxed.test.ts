/**
 * sandboxed.ts on proc-like trees of real files: a mountinfo in the kernel's format as a Flatpak
 * sandbox shows it (bubblewrap's bind mounts of the app and runtime deploys on /app and /usr),
 * with the three shapes the mount root takes (the root file system; /var on a partition of its
 * own; a btrfs subvolume), against installation directories whose `active` links the test moves.
 * The same check on a real mount namespace: test/correlate/package-logs-stale.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxedStale } from '../../agent/correlate/sandboxed.js';
import { parseMapsLine } from '../../agent/sources/process-scan.js';

const root = mkdtempSync(join(tmpdir(), 'connwatch-sandboxed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const OLD = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b';
const NEW = '8d2c3f5e1b0a9c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d';
const RT = 'abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd';

function installation(name: string, appActive: string): string {
  const inst = join(root, name, 'flatpak');
  mkdirSync(join(inst, 'app', 'org.remmina.Remmina', 'x86_64', 'stable'), { recursive: true });
  symlinkSync(appActive, join(inst, 'app', 'org.remmina.Remmina', 'x86_64', 'stable', 'active'));
  mkdirSync(join(inst, 'runtime', 'org.gnome.Platform', 'x86_64', '46'), { recursive: true });
  symlinkSync(RT, join(inst, 'runtime', 'org.gnome.Platform', 'x86_64', '46', 'active'));
  return inst;
}

/** /proc/PID as a directory with a mountinfo whose deploy roots begin with `prefix`. */
function proc(name: string, prefix: string, appCommit: string): string {
  const dir = join(root, name, 'proc');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'mountinfo'),
    [
      '1146 1087 0:62 / / rw,nosuid,nodev,relatime - tmpfs tmpfs rw,size=4096k,mode=755,uid=1000,gid=1000',
      `1147 1146 253:1 ${prefix}/runtime/org.gnome.Platform/x86_64/46/${RT}/files /usr ro,nosuid,nodev,relatime - ext4 /dev/mapper/vg-root rw`,
      `1148 1146 253:1 ${prefix}/app/org.remmina.Remmina/x86_64/stable/${appCommit}/files /app ro,nosuid,nodev,relatime - ext4 /dev/mapper/vg-root rw`,
      '1160 1146 0:5 /null /dev/null rw,nosuid,relatime - devtmpfs udev rw,size=4008876k,nr_inodes=1002219,mode=755',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('Flatpak deploys from mountinfo', () => {
  it('nothing while the mounted commit is the active one; the old app deploy once the app was updated', async () => {
    const inst = installation('rootfs', OLD);
    const dir = proc('rootfs', `${inst}`, OLD);
    expect(await sandboxedStale(dir, [], { flatpakDirs: [inst], snapRoot: join(root, 'no-snap') })).toEqual([]);
    rmSync(join(inst, 'app', 'org.remmina.Remmina', 'x86_64', 'stable', 'active'));
    symlinkSync(NEW, join(inst, 'app', 'org.remmina.Remmina', 'x86_64', 'stable', 'active'));
    const [o, ...more] = await sandboxedStale(dir, [], { flatpakDirs: [join(root, 'elsewhere'), inst], snapRoot: join(root, 'no-snap') });
    expect(more).toEqual([]);
    expect(o).toMatchObject({ kind: 'flatpak', name: 'org.remmina.Remmina', revision: OLD, current: NEW, path: '/app', app: 'org.remmina.Remmina' });
    expect(o!.runtime).toBeUndefined();
  });

  it('finds the installation when /var is its own partition (shorter root) and on a btrfs subvolume (longer root)', async () => {
    const inst = installation('partition', NEW);
    const shorter = inst.slice(inst.indexOf('/', 1)); // the root as the partition mounted one level down sees it
    expect(await sandboxedStale(proc('partition', shorter, OLD), [], { flatpakDirs: [inst], snapRoot: '/nonexistent' })).toMatchObject([{ revision: OLD, current: NEW }]);
    const inst2 = installation('btrfs', NEW);
    expect(await sandboxedStale(proc('btrfs', `/root${inst2}`, OLD), [], { flatpakDirs: [inst2], snapRoot: '/nonexistent' })).toMatchObject([{ revision: OLD, current: NEW }]);
  });

  it('a snap revision that snap refresh replaced, from the maps line and /snap/NAME/current', async () => {
    const snaps = join(root, 'snap');
    mkdirSync(join(snaps, 'remmina', '6501'), { recursive: true });
    symlinkSync('6501', join(snaps, 'remmina', 'current'));
    const line = `7f1c2a000000-7f1c2a200000 r-xp 00000000 07:12 123 ${snaps}/remmina/6419/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2.11.5`;
    const dir = join(root, 'snap-proc');
    mkdirSync(dir);
    symlinkSync('/', join(dir, 'root')); // /proc/PID/root: the process's own view of the file system
    const found = await sandboxedStale(dir, [parseMapsLine(line)!], { flatpakDirs: [], snapRoot: snaps });
    expect(found).toEqual([{ kind: 'snap', name: 'remmina', revision: '6419', current: '6501', path: `${snaps}/remmina/6419/usr/lib/x86_64-linux-gnu/libfreerdp2.so.2.11.5`, evidence: line }]);
  });
});
