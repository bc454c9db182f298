/**
 * Special files among the rules (issue 19): a FIFO froze the agent for good, a symlink to
 * /dev/zero took 3.4 GB in 20 s, a symlink to /etc/shadow had its first characters quoted in the
 * log. Rule files are read only as regular files under 4 MiB, opened with O_NOFOLLOW|O_NONBLOCK;
 * each other file is one problem naming it and the fix, and the good rules still load.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../agent/rules/load.js';

const good = {
  rules: [
    {
      id: 'local.good',
      title: 'good',
      description: 'A good rule.',
      severity: 'warning',
      category: 'other',
      conditions: { all: [{ fact: 'kind', operator: 'equal', value: 'auth.failed' }] },
      message: 'm',
      remedy: 'r',
    },
  ],
};

describe('rule files that are not regular files', () => {
  it('a FIFO, a symlink to /dev/zero and one to a secret file are refused at once, without their content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-rulesd-'));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'root:$y$j9T$SECRETHASH:19000:0:99999:7:::\n');
    symlinkSync(secret, join(dir, 'shadow.json'));
    writeFileSync(join(dir, 'notjson.json'), 'root:$y$j9T$SECRETHASH:19000\n');
    writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
    const t0 = Date.now();
    const fifo = loadRuleFile(join(dir, 'fifo.json'), false);
    const zero = loadRuleFile(join(dir, 'zero.json'), false);
    const shadow = loadRuleFile(join(dir, 'shadow.json'), false);
    const notJson = loadRuleFile(join(dir, 'notjson.json'), false);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(fifo.problems[0]?.message).toMatch(/is not a regular file \(a FIFO, socket or device\)/);
    expect(zero.problems[0]?.message).toMatch(/is a symbolic link; rule files are read only as regular files/);
    expect(shadow.problems[0]?.message).toMatch(/is a symbolic link/);
    expect(notJson.problems[0]?.message).toMatch(/is not valid JSON/);
    expect(JSON.stringify([fifo, zero, shadow, notJson])).not.toContain('SECRET');
    expect(JSON.stringify([fifo, zero, shadow, notJson])).not.toContain('root:');
    expect(loadRuleFile(join(dir, 'good.json'), false).rules.map((r) => r.id)).toEqual(['local.good']);
  });
});
