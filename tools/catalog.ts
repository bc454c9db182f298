/**
 * The message catalog (issue 18): every message the watched programs can print, extracted from
 * their sources across the versions people run, each entry mapped to the parser pattern that
 * understands it or put in a named `ignored` class, and the coverage per program and version.
 *
 *   npx tsx tools/catalog.ts            # extract, classify, write docs/catalog/, print coverage
 *   npx tsx tools/catalog.ts --check    # the same, but fail when docs/catalog/ is not current
 *
 * The sources are git mirrors brought with the search tool's `fetch` (read with `git show
 * TAG:path`, never copied): CATALOG_MIRRORS (default /work/.mirror) holds OWNER+NAME/repo. A
 * missing mirror is named with what to fetch, and that program's catalog is left as committed.
 * Only facts (message texts, levels, files, versions) are written to the project.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitDir } from './catalog-c.js';
import { classifyOpenssh } from './catalog-classify.js';
import { clientCatalogs } from './catalog-clients.js';
import { coverageJson, coverageMarkdown, type Catalog } from './catalog-report.js';
import { generatedTables } from './catalog-tables.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const OUT = join(ROOT, 'docs', 'catalog');

const SOURCES: Array<{ repo: string; programs: string[] }> = [
  { repo: 'openssh/openssh-portable', programs: ['sshd', 'ssh'] },
  { repo: 'larryli/PuTTY', programs: ['plink'] },
  { repo: 'FreeRDP/FreeRDP', programs: ['freerdp'] },
  { repo: 'rdesktop/rdesktop', programs: ['rdesktop'] },
  { repo: 'FreeRDP/Remmina', programs: ['remmina'] },
];

const check = process.argv.includes('--check');

const catalogs: Catalog[] = [];
const missing: string[] = [];
for (const s of SOURCES) {
  const git = gitDir(s.repo);
  if (!git) {
    missing.push(s.repo);
    continue;
  }
  if (s.repo.startsWith('openssh/')) catalogs.push(...classifyOpenssh(git));
  else catalogs.push(...clientCatalogs(s.repo, git));
}
if (missing.length) {
  process.stderr.write(
    `catalog: no mirror of ${missing.join(', ')} under ${process.env.CATALOG_MIRRORS ?? '/work/.mirror'}; fetch them (search tool: fetch github:${missing.join(', github:')}) and run again. Their committed catalogs are kept.\n`,
  );
}
let stale = false;
/** Writes a generated file (a path from the repository's root), or marks it stale under --check. */
const write = (file: string, text: string): void => {
  const p = join(ROOT, file);
  let old = '';
  try {
    old = readFileSync(p, 'utf8');
  } catch {
    // new
  }
  if (old === text) return;
  stale = true;
  if (!check) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
};
for (const c of catalogs) {
  write(`docs/catalog/${c.program}.json`, `[\n${c.entries.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
}
if (catalogs.length) {
  write('docs/catalog/coverage.md', coverageMarkdown(catalogs));
  // a program whose mirror is missing keeps its committed figures
  let old: Record<string, unknown> = {};
  try {
    old = JSON.parse(readFileSync(join(OUT, 'coverage.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    // new
  }
  write('docs/catalog/coverage.json', JSON.stringify({ ...old, ...coverageJson(catalogs) }, null, 1) + '\n');
}
// the parser tables generated from the catalogs (tools/catalog-tables.ts)
for (const { file, text } of generatedTables(catalogs)) write(file, text);
for (const c of catalogs) process.stdout.write(`${c.summary}\n`);
if (check && stale) {
  process.stderr.write('catalog: docs/catalog/ is not current; run npx tsx tools/catalog.ts\n');
  process.exit(1);
}
