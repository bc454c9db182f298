/**
 * Parsing speed alone, the parsers of this tree against the parsers of another commit, on the
 * same input in one run (issue 18: the table rewrite must be no slower). Only parsing is timed:
 * no sources, router, correlator or rules (those are `npm run bench`'s).
 *
 *   npx tsx tools/bench-parse.ts [REF]     # REF: the commit to compare with (default main)
 *
 * Two inputs per program, each repeated to BENCH_PARSE_LINES (default 200000) lines:
 *   - `real`: the real captures `npm run bench` draws its logs from (bench/corpus.ts: the clients'
 *     captured stderr, the ssh client captures under test/fixtures/ssh/, the sshd line shapes);
 *   - `catalog`: every message of the program's source catalog, rendered (docs/catalog/PROGRAM.json),
 *     and its sample lines (test/parsers/PROGRAM.samples.log): mostly the rare messages. The old parsers come from `git archive REF agent` into a temporary directory. Rounds
 * alternate old and new (BENCH_PARSE_ROUNDS, default 7); the medians and their ratio are printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Program } from '../agent/event.js';
import { parserFor } from '../agent/parsers/registry.js';
import { clientRuns, sshdShapes, walk } from '../bench/corpus.js';
import type { ParserSpec } from '../agent/parsers/types.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const ref = process.argv[2] ?? 'main';
const LINES = Number(process.env.BENCH_PARSE_LINES ?? 200000);
const ROUNDS = Number(process.env.BENCH_PARSE_ROUNDS ?? 7);
const PROGRAMS: Program[] = ['plink', 'ssh', 'freerdp', 'rdesktop', 'sshd', 'remmina'];

function repeat(lines: readonly string[]): string[] {
  const out: string[] = [];
  while (out.length < LINES && lines.length) out.push(...lines);
  return out.slice(0, LINES);
}

function real(program: Program): string[] {
  if (program === 'sshd') {
    const s = sshdShapes(ROOT);
    return repeat([...s.ordinary, ...s.failure]);
  }
  if (program === 'ssh') {
    const lines = walk(join(ROOT, 'test', 'fixtures', 'ssh'))
      .filter((f) => f.endsWith('client.stderr'))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => l.replace(/\r+$/, '')));
    return repeat(lines);
  }
  return repeat(clientRuns(ROOT).filter((r) => r.program === program).flatMap((r) => r.lines));
}

function catalog(program: Program): string[] {
  const lines: string[] = [];
  try {
    const entries = JSON.parse(readFileSync(join(ROOT, 'docs', 'catalog', `${program}.json`), 'utf8')) as Array<{ rendered: string }>;
    for (const e of entries) lines.push(...e.rendered.split('\n'));
  } catch {
    // no catalog
  }
  try {
    for (const l of readFileSync(join(ROOT, 'test', 'parsers', `${program}.samples.log`), 'utf8').split('\n')) if (!l.startsWith('#') && !l.startsWith('{')) lines.push(l.replace(/\r$/, ''));
  } catch {
    // no samples
  }
  return repeat(lines);
}

function time(spec: ParserSpec, lines: readonly string[]): number {
  const p = spec.create();
  const t0 = process.hrtime.bigint();
  for (const text of lines) p.parse({ text, referenceTime: 0 });
  p.end();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'bench-parse-'));
try {
  const tar = execFileSync('git', ['-C', ROOT, 'archive', ref, 'agent'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  const old = (await import(pathToFileURL(join(dir, 'agent', 'parsers', 'registry.ts')).href)) as { parserFor: typeof parserFor };
  const commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  process.stdout.write(`| program | input | lines | ${ref} (${commit}) ms | this tree ms | ratio (this / ${ref}) |\n|---|---|---|---|---|---|\n`);
  for (const [name, input] of [['real', real], ['catalog', catalog]] as const) {
    for (const program of PROGRAMS) {
      const lines = input(program);
      const before = old.parserFor(program);
      const after = parserFor(program);
      if (!before || !after || !lines.length) continue;
      time(before, lines); // warm-up
      time(after, lines);
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        a.push(time(before, lines));
        b.push(time(after, lines));
      }
      const ma = median(a);
      const mb = median(b);
      process.stdout.write(`| ${program} | ${name} | ${lines.length} | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(mb / ma).toFixed(2)} |\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
