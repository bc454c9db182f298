/** docs/events.md is generated; this fails when it is not current (run `npx tsx tools/gen-events-doc.ts`). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { eventsDoc } from '../../tools/gen-events-doc.js';
import { ROOT } from '../helpers/cli.js';

it('docs/events.md is current', () => {
  expect(readFileSync(join(ROOT, 'docs', 'events.md'), 'utf8'), 'run: npx tsx tools/gen-events-doc.ts').toBe(eventsDoc());
});
