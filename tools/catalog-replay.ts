/**
 * Replays every real capture of the project, each file alone, through the built-in rules and
 * prints (or writes) what it gave: lines, lines not understood, alerts. Used to record the
 * baseline of the differential test (test/catalog/replay-diff.test.ts) and to measure the share
 * of lines understood (docs/events.md, README).
 *
 *   npx tsx tools/catalog-replay.ts                   # the summary, per tree
 *   npx tsx tools/catalog-replay.ts --write-baseline  # rewrite test/catalog/replay-baseline.json
 *   npx tsx tools/catalog-replay.ts --unknown         # also list the lines not understood
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureFiles, replayCapture, type CaptureResult } from '../test/catalog/captures.js';
import { FIXTURES } from '../test/helpers/cli.js';

const SHARED = join(FIXTURES, '..', '..', '..', 'shared', 'fixtures');

async function run(root: string): Promise<CaptureResult[]> {
  const out: CaptureResult[] = [];
  for (const f of captureFiles(root)) out.push(await replayCapture(root, f));
  return out;
}

const args = new Set(process.argv.slice(2));
const trees: Array<[string, string]> = [
  ['test/fixtures', FIXTURES],
  ['../shared/fixtures', SHARED],
];
for (const [name, root] of trees) {
  const results = await run(root);
  if (!results.length) {
    process.stdout.write(`${name}: not present\n`);
    continue;
  }
  const lines = results.reduce((n, r) => n + r.lines, 0);
  const unknown = results.reduce((n, r) => n + r.unknown, 0);
  const alerts = results.reduce((n, r) => n + r.alerts.length, 0);
  process.stdout.write(
    `${name}: ${results.length} files, ${lines} lines, ${unknown} not understood, ${(100 * (1 - unknown / lines)).toFixed(2)}% understood, ${alerts} alerts\n`,
  );
  if (args.has('--unknown')) for (const r of results) if (r.unknown) process.stdout.write(`  ${r.file}: ${r.unknown} of ${r.lines}\n`);
  if (args.has('--write-baseline') && root === FIXTURES) {
    const baseline = Object.fromEntries(results.map((r) => [r.file, r.alerts]));
    writeFileSync(join(FIXTURES, '..', 'catalog', 'replay-baseline.json'), JSON.stringify(baseline, null, 1) + '\n');
  }
  if (args.has('--dump')) writeFileSync(`/tmp/catalog-replay-${name.replace(/\W+/g, '_')}.json`, JSON.stringify(results, null, 1));
}
