/** The README shows what is true: its rule example validates, and its two commands exist in package.json. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadRuleFile } from '../../agent/rules/load.js';
import { AGENT_NODE_OPTIONS, CLI_NODE_OPTIONS } from '../../agent/install/service.js';
import { ROOT } from '../helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

it('every JSON rule file shown in the README validates', () => {
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(0);
  const dir = mkdtempSync(join(tmpdir(), 'readme-rules-'));
  blocks.forEach((b, i) => {
    const file = join(dir, `block-${i}.json`);
    writeFileSync(file, b);
    const { problems, rules } = loadRuleFile(file, false);
    expect(problems).toEqual([]);
    expect(rules.length).toBeGreaterThan(0);
  });
});

it('the two newcomer commands are near the top and exist', () => {
  const top = readme.split('\n').slice(0, 45).join('\n');
  expect(top).toContain('npm install && npm start');
  expect(top).toContain('npm test');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toMatch(/connwatch|main\.js run/);
  // npm start runs the agent with the node options the user service gives it
  expect(pkg.scripts.start).toBe(`node ${AGENT_NODE_OPTIONS.join(' ')} dist/agent/cli/main.js run`);
  // the connwatch command runs with CLI_NODE_OPTIONS, from its shebang (tsc keeps it in dist)
  const shebang = `#!/usr/bin/env -S node ${CLI_NODE_OPTIONS.join(' ')}`;
  expect(readFileSync(join(ROOT, 'agent/cli/main.ts'), 'utf8').split('\n')[0]).toBe(shebang);
  expect(readFileSync(join(ROOT, 'dist/agent/cli/main.js'), 'utf8').split('\n')[0]).toBe(shebang);
  expect(pkg.scripts.test).toBeTruthy();
});
