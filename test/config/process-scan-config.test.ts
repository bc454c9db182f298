/**
 * The process-scan source in config.json: its dpkg database (`dpkgInfoDir`), interval and
 * programs are read from a real file with loadConfig, a bad value is refused with the file and
 * the field named, and a scan of the user's own takes the place of the default one (the agent
 * runs a single scan, so a second would otherwise be dropped without a word).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../agent/config/config.js';
import { paths, type Paths } from '../../agent/config/paths.js';
import { ConnwatchError } from '../../agent/errors.js';

describe('config: the process-scan source', () => {
  let dir: string;
  let p: Paths;
  let n = 0;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'connwatch-config-'));
    p = paths({ HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), XDG_STATE_HOME: join(dir, '.local', 'state') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes the text as a config file and loads it the way `connwatch run --config FILE` does. */
  function load(text: string): { file: string; config: () => Config } {
    const file = join(dir, `config-${++n}.json`);
    writeFileSync(file, text);
    return { file, config: () => loadConfig(p, file) };
  }

  function refusal(text: string): { file: string; error: ConnwatchError } {
    const { file, config } = load(text);
    try {
      config();
    } catch (err) {
      if (err instanceof ConnwatchError) return { file, error: err };
      throw err;
    }
    throw new Error(`config accepted: ${text}`);
  }

  const scans = (c: Config) => c.sources.filter((s) => s.type === 'process-scan');

  it('has one default scan, every 60 s, with no dpkg database of its own (PackageHistory uses /var/lib/dpkg/info)', () => {
    const [scan, ...more] = scans(load('{}').config());
    expect(more).toEqual([]);
    expect(scan).toEqual({ type: 'process-scan', intervalMs: 60_000, isDefault: true });
  });

  it('takes dpkgInfoDir, interval and programs; a relative or ~ path becomes absolute', () => {
    const c = load(JSON.stringify({ sources: [{ type: 'process-scan', dpkgInfoDir: '~/dpkg/info', interval: '2s', programs: ['remmina', 'my-rdp'] }] })).config();
    expect(scans(c)).toEqual([
      { type: 'process-scan', intervalMs: 2000, programs: ['remmina', 'my-rdp'], dpkgInfoDir: join(process.env.HOME ?? '', 'dpkg', 'info'), isDefault: false },
    ]);
    const abs = scans(load('{"sources":[{"type":"process-scan","dpkgInfoDir":"/srv/chroot/var/lib/dpkg/info"}]}').config());
    expect(abs).toEqual([{ type: 'process-scan', intervalMs: 60_000, dpkgInfoDir: '/srv/chroot/var/lib/dpkg/info', isDefault: false }]);
    const rel = scans(load('{"sources":[{"type":"process-scan","dpkgInfoDir":"info"}]}').config());
    expect(rel[0]!.dpkgInfoDir).toBe(join(process.cwd(), 'info'));
  });

  it('replaces the default scan instead of running beside it (or being ignored after it)', () => {
    const c = load('{"sources":[{"type":"process-scan","interval":"5s","dpkgInfoDir":"/x/info"}]}').config();
    expect(scans(c)).toEqual([{ type: 'process-scan', intervalMs: 5000, dpkgInfoDir: '/x/info', isDefault: false }]);
    // the other defaults stay
    expect(c.sources.some((s) => s.type === 'file' && s.path === '/var/log/dpkg.log' && s.isDefault)).toBe(true);
    // with replaceDefaultSources there is only the user's
    const only = load('{"replaceDefaultSources":true,"sources":[{"type":"process-scan","dpkgInfoDir":"/x/info"}]}').config();
    expect(only.sources).toEqual([{ type: 'process-scan', intervalMs: 60_000, dpkgInfoDir: '/x/info', isDefault: false }]);
  });

  it.each([
    ['an empty dpkgInfoDir', '{"type":"process-scan","dpkgInfoDir":""}', 'sources[0].dpkgInfoDir', /must be the path of dpkg's info directory .*\/var\/lib\/dpkg\/info\), got ""/],
    ['a dpkgInfoDir that is no string', '{"type":"process-scan","dpkgInfoDir":["/var/lib/dpkg/info"]}', 'sources[0].dpkgInfoDir', /got \["\/var\/lib\/dpkg\/info"\]/],
    ['a misspelt field', '{"type":"process-scan","dpkgInfodir":"/x"}', 'sources[0].dpkgInfodir', /is not a process-scan setting; known: type, programs, interval, dpkgInfoDir/],
    ['an interval that is no duration', '{"type":"process-scan","interval":"60"}', 'sources[0].interval', /must be a duration of at least 1s, like "60s", got "60"/],
    ['an interval below a second', '{"type":"process-scan","interval":"10ms"}', 'sources[0].interval', /at least 1s.*got "10ms"/],
    ['programs that are no list of names', '{"type":"process-scan","programs":"remmina"}', 'sources[0].programs', /must be a list of program names like \["remmina", "xfreerdp"\], got "remmina"/],
    ['a program given as a path', '{"type":"process-scan","programs":["/usr/bin/remmina"]}', 'sources[0].programs', /program names/],
  ])('refuses %s, naming the file and the field', (_what, source, field, message) => {
    const { file, error } = refusal(`{"sources":[${source}]}`);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message.startsWith(`${file}: "${field}" `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/connwatch doctor/);
  });

  it('refuses a second process-scan source instead of silently dropping it', () => {
    const { file, error } = refusal('{"sources":[{"type":"file","path":"/x.log"},{"type":"process-scan"},{"type":"process-scan","dpkgInfoDir":"/x"}]}');
    expect(error.message).toBe(`${file}: "sources[2]" is a second process-scan source; the agent runs one scan, so merge their programs into one source`);
  });
});
