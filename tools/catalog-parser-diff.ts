/**
 * Parser differential: the parsers of this tree against those of another commit, line by line,
 * on every input there is (each program's rendered catalog, its sample lines whole and as partial
 * lines, every capture under test/fixtures/, and each catalog line behind `FATAL ERROR: `,
 * `Event Log: ` and `error: `). Drafts are compared as the router sees them (keys sorted, absent
 * detail as {}). Used to show that declaring a parser as a table changed none of its output.
 *
 *   npx tsx tools/catalog-parser-diff.ts REF plink ssh freerdp rdesktop
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Program } from '../agent/event.js';
import { parserFor } from '../agent/parsers/registry.js';
import { walk } from '../bench/corpus.js';
const ROOT = process.cwd();
const ref = process.argv[2]!;
const programs = process.argv.slice(3) as Program[];
const dir = mkdtempSync(join(tmpdir(), 'pdiff-'));
const tar = execFileSync('git', ['-C', ROOT, 'archive', ref, 'agent'], { maxBuffer: 1 << 28 });
execFileSync('tar', ['-x', '-C', dir], { input: tar });
const old = (await import(pathToFileURL(join(dir, 'agent', 'parsers', 'registry.ts')).href)) as { parserFor: typeof parserFor };
const sortKeys = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)])) : Array.isArray(v) ? v.map(sortKeys) : v);
const norm = (x: unknown): string => JSON.stringify(sortKeys((x as Array<Record<string, unknown>>).map((d) => ({ ...d, detail: d.detail ?? {} }))));
let bad = 0;
for (const program of programs) {
  const inputs: Array<{ name: string; lines: Array<{ text: string; partial?: boolean; continuation?: boolean; stream?: 'stdout' | 'stderr' | 'tty' }> }> = [];
  const cat = JSON.parse(readFileSync(join(ROOT, 'docs/catalog', `${program}.json`), 'utf8')) as Array<{ rendered: string }>;
  for (const e of cat) inputs.push({ name: 'catalog', lines: e.rendered.split('\n').map((text) => ({ text })) });
  const samples = readFileSync(join(ROOT, 'test/parsers', `${program}.samples.log`), 'utf8').split('\n').filter((l) => !l.startsWith('#'));
  inputs.push({ name: 'samples', lines: samples.map((text) => ({ text })) });
  inputs.push({ name: 'samples-partial', lines: samples.map((text) => ({ text, partial: /[?:] ?$/.test(text) })) });
  for (const f of walk(join(ROOT, 'test/fixtures'))) {
    if (!/client\.(stderr|stdout)$|\.log$|\.txt$|sshlog$/.test(f)) continue;
    const text = readFileSync(f, 'utf8');
    if (text.includes('\0')) continue;
    inputs.push({ name: f, lines: text.split('\n').map((t) => ({ text: t, ...(f.endsWith('stdout') ? { stream: 'stdout' as const } : {}) })) });
  }
  // hostile: every catalog line with a prefix/suffix variation
  for (const e of cat) inputs.push({ name: 'catalog-fatal', lines: [{ text: `FATAL ERROR: ${e.rendered.split('\n')[0]}` }, { text: `Event Log: ${e.rendered.split('\n')[0]}` }, { text: `error: ${e.rendered.split('\n')[0]}` }] });
  let n = 0;
  for (const inp of inputs) {
    const a = old.parserFor(program)!.create();
    const b = parserFor(program)!.create();
    for (const l of inp.lines) {
      const msg = { ...l, referenceTime: 0 };
      const x = norm(a.parse({ ...msg }));
      const y = norm(b.parse({ ...msg }));
      n++;
      if (x !== y) {
        bad++;
        if (bad < 15) console.log(`${program} ${inp.name}: ${JSON.stringify(l.text)}\n  old ${x}\n  new ${y}`);
      }
    }
    const x = norm(a.end());
    const y = norm(b.end());
    if (x !== y) {
      bad++;
      if (bad < 15) console.log(`${program} ${inp.name} END\n  old ${x}\n  new ${y}`);
    }
  }
  console.log(`${program}: ${n} lines compared`);
}
rmSync(dir, { recursive: true, force: true });
console.log(`differences: ${bad}`);
process.exit(bad ? 1 : 0);
