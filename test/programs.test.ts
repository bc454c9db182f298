/**
 * The program registry (agent/programs.ts) is complete and the lists derived from it agree:
 * every program has a parser, an annotated samples file whose lines pass, and built-in rule files
 * that name it; every parser has an entry; sessions, the process scan, the shims, wrap and the
 * default sources all see the same programs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHIM_PROGRAMS, renderShim } from '../agent/install/service.js';
import type { Paths } from '../agent/config/paths.js';
import type { Event, Program } from '../agent/event.js';
import { BINARIES, CLIENT_PROGRAMS, DEFAULT_PORTS, PROGRAM_ENTRIES, PROGRAMS, programSources, SERVER_PROGRAMS, SHIMS } from '../agent/programs.js';
import { Sessions } from '../agent/correlate/sessions.js';
import { PARSERS, parserForIdent } from '../agent/parsers/registry.js';
import { builtinRulesDir, loadRuleFile } from '../agent/rules/load.js';
import { CLIENTS, DEFAULT_PROGRAMS } from '../agent/sources/process-scan.js';
import { programOf } from '../agent/sources/wrap-argv.js';
import { readSamples, runSamples } from './helpers/samples.js';

const RULES = builtinRulesDir();

/** Every value a `program` condition of a rule file compares with. */
function programsNamed(file: string): Set<string> {
  const out = new Set<string>();
  const walk = (c: unknown): void => {
    if (Array.isArray(c)) c.forEach(walk);
    else if (c && typeof c === 'object') {
      const o = c as Record<string, unknown>;
      if (o.fact === 'program') for (const v of [o.value].flat()) out.add(String(v));
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(readFileSync(join(RULES, file), 'utf8')));
  return out;
}

describe('program registry', () => {
  it('gives the program names and the parsers: its entries, in its order, then other and connwatch', () => {
    const named = PROGRAM_ENTRIES.map((e) => e.program);
    expect(new Set(named).size).toBe(named.length);
    expect(PROGRAMS).toEqual([...named, 'other', 'connwatch']);
    expect(PARSERS.map((p) => p.program)).toEqual(named);
    expect(PARSERS).toEqual(PROGRAM_ENTRIES.map((e) => e.parser));
  });

  it('keeps Program a closed union the compiler checks (npm run lint type-checks this file)', () => {
    const known: Program[] = ['plink', 'sshd', 'other', 'connwatch'];
    // @ts-expect-error a name no registry entry has is not a Program
    const unknown: Program = 'telnet';
    expect([...known, unknown].filter((p) => !PROGRAMS.includes(p))).toEqual(['telnet']);
  });

  for (const e of PROGRAM_ENTRIES) {
    describe(e.program, () => {
      it('has its own parser, reached through each of its identifiers', () => {
        expect(e.parser.program).toBe(e.program);
        for (const id of e.parser.idents) expect(parserForIdent(id)?.program, id).toBe(e.program);
      });

      it('has an annotated samples file whose lines give the events written above them', () => {
        const file = join('test', 'parsers', `${e.program}.samples.log`);
        expect(existsSync(file), file).toBe(true);
        const samples = readSamples(file);
        expect(samples.samples.filter((s) => s.expect !== null).length).toBeGreaterThan(0);
        expect(runSamples(samples).results.filter((r) => r.problems.length)).toEqual([]);
      });

      it('has built-in rule files that load, and (client or server) one names it', () => {
        expect(e.rules.length).toBeGreaterThan(0);
        for (const f of e.rules) {
          expect(existsSync(join(RULES, f)), f).toBe(true);
          const loaded = loadRuleFile(join(RULES, f), true);
          expect(loaded.problems, f).toEqual([]);
          expect(loaded.rules.length, f).toBeGreaterThan(0);
        }
        if (e.role !== 'packages') expect(e.rules.some((f) => programsNamed(f).has(e.program))).toBe(true);
      });
    });
  }

  it('lists every rule file that names a program under that program', () => {
    const files = readdirSync(RULES).filter((f) => f.endsWith('.json') && f !== 'schema.json');
    for (const f of files) {
      for (const p of programsNamed(f)) expect(PROGRAM_ENTRIES.find((e) => e.program === p)?.rules, `${f} names ${p}`).toContain(f);
    }
  });
});

describe('lists derived from the registry', () => {
  it('sessions treat exactly the client programs as clients', () => {
    const sessions = new Sessions();
    const client = new Set<string>();
    for (const e of PROGRAM_ENTRIES) {
      const ev = { time: 1000, program: e.program, kind: 'connect.start', raw: { source: `s-${e.program}`, text: '' }, pid: 1, host: 'h', port: 22, detail: {} } as unknown as Event;
      sessions.attach(ev);
      if (ev.connection) client.add(e.program);
    }
    expect([...client].sort()).toEqual(PROGRAM_ENTRIES.filter((e) => e.role !== 'packages').map((e) => e.program).sort());
    expect([...CLIENT_PROGRAMS].sort()).toEqual(PROGRAM_ENTRIES.filter((e) => e.role === 'client').map((e) => e.program).sort());
    expect(SERVER_PROGRAMS).toEqual(['sshd']);
    expect(Object.keys(DEFAULT_PORTS).sort()).toEqual([...CLIENT_PROGRAMS].sort());
  });

  it('the process scan watches every client binary, named and restarted as the registry says', () => {
    const binaries = PROGRAM_ENTRIES.filter((e) => e.role === 'client').flatMap((e) => e.binaries.map((b) => ({ ...b, program: e.program })));
    expect([...DEFAULT_PROGRAMS].sort()).toEqual(binaries.map((b) => b.name).sort());
    for (const b of binaries) expect(CLIENTS[b.name], b.name).toEqual(b);
    expect(CLIENTS.putty?.program).toBe('plink');
    expect(BINARIES.size).toBe(binaries.length);
  });

  it('wrap names the program of each binary, identifier and program name', () => {
    for (const e of PROGRAM_ENTRIES) {
      expect(programOf(`/usr/bin/${e.program}`), e.program).toBe(e.program);
      for (const b of e.binaries) expect(programOf(`/usr/bin/${b.name}`), b.name).toBe(e.program);
      for (const id of e.parser.idents) expect(programOf(id), id).toBe(e.program);
    }
    expect(programOf('C:\\Program Files\\PuTTY\\PLINK.EXE'.split('\\').join('/'))).toBe('plink');
    expect(programOf('/opt/freerdp/bin/xfreerdp3-nightly')).toBe('freerdp');
    expect(programOf('/usr/bin/vim')).toBeUndefined();
  });

  it('install writes one shim per registry shim, verbose where the registry says', () => {
    expect(Object.keys(SHIM_PROGRAMS).sort()).toEqual([...SHIMS.keys()].sort());
    expect(SHIMS.get('xfreerdp')).toEqual({ name: 'xfreerdp', verbose: true, program: 'freerdp' });
    for (const [name, s] of SHIMS) {
      const text = renderShim(name, `/usr/bin/${name}`, '/node', '/agent.js');
      expect(text).toContain(`wrap --program ${s.program}${s.verbose ? ' --verbose-capture' : ''} -- "$real"`);
      expect(text.includes('--verbose-capture')).toBe(s.verbose);
    }
  });

  it('default sources are the programs’ own, per platform', () => {
    const p = { captureDir: '/c', stateDir: 'C:\\state' } as Paths;
    const linux = programSources('linux', p);
    expect(linux.map((s) => `${s.type} ${s.path ?? s.scope} ${s.program ?? ''}`.trim())).toEqual([
      'file /var/log/auth.log',
      'journal system',
      'journal user',
      'file /tmp/remmina_log_file.log remmina',
      'file /var/log/dpkg.log dpkg',
      'file /var/log/apt/history.log apt',
    ]);
    expect(linux.every((s) => s.isDefault)).toBe(true);
    // the journal sources follow the parsers' identifiers (sshd-auth of OpenSSH 10 included)
    expect(linux.find((s) => s.scope === 'system')?.identifiers).toEqual([...PROGRAM_ENTRIES.find((e) => e.program === 'sshd')!.parser.idents]);
    expect(linux.find((s) => s.scope === 'system')?.identifiers).toContain('sshd-auth');
    expect(linux.find((s) => s.scope === 'user')?.identifiers).toEqual([...PROGRAM_ENTRIES.find((e) => e.program === 'remmina')!.parser.idents]);
    const windows = programSources('windows', p);
    expect(windows[0]).toMatchObject({ type: 'file', program: 'plink', path: 'C:\\state\\plink-logs\\*.log' });
    expect(programSources('macos', p)).toEqual([{ type: 'oslog', isDefault: true }]); // Remote Login's sshd, through log stream
  });
});
