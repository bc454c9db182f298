/**
 * A FileTail in its own process, for tests that kill it or run it as another user:
 *   npx tsx test/sources/tail-child.ts --path P --out OUT --ckpt CK [--problems F] [--from-start]
 * Every delivered line is appended to OUT (written before the sink resolves, so before its
 * checkpoint can be saved); problems are appended to F as JSON lines {code, message, hint}.
 * Prints "ready" once started; SIGTERM stops it cleanly.
 */
import { appendFileSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CheckpointStore } from '../../agent/sources/checkpoint.js';
import { FileTail } from '../../agent/sources/file-tail.js';

const { values } = parseArgs({
  options: {
    path: { type: 'string' },
    out: { type: 'string' },
    ckpt: { type: 'string' },
    problems: { type: 'string' },
    'from-start': { type: 'boolean', default: false },
  },
});
if (!values.path || !values.out || !values.ckpt) {
  process.stderr.write('usage: tail-child.ts --path P --out OUT --ckpt CK [--problems F] [--from-start]\n');
  process.exit(64);
}
const out = openSync(values.out, 'a');
const problems = values.problems;
const store = new CheckpointStore(values.ckpt, { flushMs: 200 });
await store.load();
const tail = new FileTail({
  path: values.path,
  checkpoints: store,
  fromStart: values['from-start'],
  pollMs: 200,
  partialFlushMs: 0,
  log: () => undefined,
  onProblem: (e) => {
    if (problems) appendFileSync(problems, `${JSON.stringify({ code: e.code, message: e.message, hint: e.hint })}\n`);
  },
});
await tail.start(async (line) => {
  writeSync(out, `${line.text}\n`);
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void tail.stop().then(() => process.exit(0));
});
