/**
 * The parser tables the catalog generates (tools/catalog-tables.ts) against the committed files:
 * regenerating them from docs/catalog/PROGRAM.json must give the same bytes. And ssh's table, which
 * is data (data/ssh-catalog.json) read on first use: found from the sources and from the build, in
 * the package's files, and a missing or damaged file is named once while the ssh parser goes on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnwatchError } from '../../agent/errors.js';
import { readSshCatalog, sshCatalog, sshCatalogFile } from '../../agent/parsers/ssh-catalog.js';
import { generatedTables, TABLE_FILES } from '../../tools/catalog-tables.js';
import { assertBuilt, jsonLines, ROOT } from '../helpers/cli.js';

const entriesOf = (program: string): unknown => JSON.parse(readFileSync(join(ROOT, 'docs', 'catalog', `${program}.json`), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'cw-tables-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An ignored INFO message, an ERROR/FATAL one only the table knows, and a line no one knows. */
const LINES = ['Received request to connect to host db.example port 5432, but the request was denied.', 'write: Broken pipe', 'something else entirely', ''].join('\n');

describe('generated parser tables', () => {
  it('are what the generator makes of the committed catalog, byte for byte', () => {
    const tables = generatedTables((['ssh', 'sshd', 'plink'] as const).map((program) => ({ program, entries: entriesOf(program) as never })));
    expect(tables.map((t) => t.file).sort()).toEqual(Object.values(TABLE_FILES).sort());
    for (const { file, text } of tables) expect(readFileSync(join(ROOT, file), 'utf8'), file).toBe(text);
  });
});

describe('data/ssh-catalog.json', () => {
  it('is found next to the sources and read once, with both tables', () => {
    expect(sshCatalogFile()).toBe(join(ROOT, 'data', 'ssh-catalog.json'));
    const c = sshCatalog();
    expect(c.ignored.length).toBeGreaterThan(100);
    expect(c.errors.length).toBeGreaterThan(1000);
    expect(c.errors).toContainEqual(['write: %.100s', 'fatal']);
    expect(sshCatalog()).toBe(c);
  });

  it('names the file and what is wrong with it', () => {
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['missing.json', undefined, /cannot read the ssh message catalog .*missing\.json/],
      ['bad.json', '{"ignored": [', /bad\.json is not valid JSON/],
      ['list.json', '[]', /list\.json: not an object/],
      ['row.json', '{"ignored": [["a", "b"]], "errors": [["a", "b"], ["c"]]}', /row\.json: "errors" row 2 is not a \[format, tag\] pair/],
    ];
    for (const [name, text, message] of cases) {
      const file = join(tmp, name);
      if (text !== undefined) writeFileSync(file, text);
      let err: unknown;
      try {
        readSshCatalog(file);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConnwatchError);
      expect((err as ConnwatchError).code).toBe('INTERNAL');
      expect((err as ConnwatchError).message).toMatch(message);
      expect((err as ConnwatchError).hint).toMatch(/reinstall/);
    }
  });

  it('is in the package files', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain('data/ssh-catalog.json');
  });

  /** The build copied into a package layout (dist/, package.json, node_modules), with or without data/. */
  function installed(name: string, withData: boolean): string {
    assertBuilt();
    const dir = join(tmp, name);
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    if (withData) cpSync(join(ROOT, 'data'), join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'ssh.log'), LINES);
    return dir;
  }
  const parse = (dir: string): { status: number | null; stdout: string; stderr: string } => {
    const bin = join(dir, 'dist', 'agent', 'cli', 'main.js');
    const r = spawnSync(process.execPath, [bin, 'parse', '--program', 'ssh', '--json', '--all', join(dir, 'ssh.log')], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('is read by the build (dist/) of an installed package', () => {
    const r = parse(installed('with-data', true));
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/catalog/);
    expect(jsonLines(r.stdout).map((e) => [e.kind, e.pattern])).toEqual([
      ['noise', 'ssh.ignored'],
      ['error.fatal', 'ssh.error.catalog'],
      ['unknown', 'ssh.unknown'],
    ]);
  });

  it('when missing, is named once on stderr and the ssh parser goes on without it', () => {
    const dir = installed('without-data', false);
    const r = parse(dir);
    expect(r.status).toBe(0);
    expect(jsonLines(r.stdout).map((e) => e.kind)).toEqual(['unknown', 'unknown', 'unknown']);
    const said = r.stderr.split('\n').filter((l) => l.includes('ssh message catalog is missing'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(join(dir, 'data', 'ssh-catalog.json')); // where the package keeps it
    expect(r.stderr).toMatch(/hint: .*reinstall/);
  });
});
