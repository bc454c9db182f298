/** docs/rules-builtin.md is generated from rules/*.json (tools/gen-rules-doc.ts); CI fails when it is stale. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, renderRulesDoc } from '../../tools/gen-rules-doc.js';
import { builtinRules } from './builtin/run.js';

describe('docs/rules-builtin.md', () => {
  it('is current: regenerating it from rules/ gives the checked-in file (run npm run docs:rules)', () => {
    expect(readFileSync(DOC_PATH, 'utf8')).toBe(renderRulesDoc());
  });

  it('lists every built-in rule with its severity, category and remedy', () => {
    const doc = renderRulesDoc();
    for (const r of builtinRules().rules) {
      expect(doc).toContain(`### ${r.id}`);
      expect(doc).toContain(`severity \`${r.spec.severity}\`, category \`${r.spec.category}\``);
      expect(doc).toContain(`**Remedy:** ${r.spec.remedy.replace(/\|/g, '\\|')}`);
    }
  });
});
