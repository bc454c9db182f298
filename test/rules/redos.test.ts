/**
 * Regular expressions cannot stall the pipeline, proved through the real binary:
 *
 * 1. A catastrophic pattern (`^(a+)+$`, `(x+x+)+y`) is rejected when the file is loaded, with the
 *    file, rule, field and a rewrite hint; replay goes on with the other rules.
 * 2. A pattern the static check accepts but that backtracks polynomially, `.*a.*b.*c`, runs over
 *    a 100,000-character line without blocking. The arithmetic: on Node 20 plain backtracking
 *    took 10.8 s for 512 characters of "abab…" and grows about 18x per doubling (n^4: every
 *    start × every a × every b × the scan for c). Bounded to the first 4,096 characters alone it
 *    would still take about 10.8 s × 8^4 ≈ 12 hours; over the whole 100,000-character line,
 *    years. With the 4,096-character bound and V8's linear-time fallback the whole replay takes
 *    about a second. The test allows 60 s — generous for a loaded machine, and 700 times less
 *    than the bounded backtracking alone would need.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, runCli } from '../helpers/cli.js';

const home = mkdtempSync(join(tmpdir(), 'connwatch-redos-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };

const ruleWith = (id: string, pattern: string) => ({
  id,
  title: `pattern ${id}`,
  description: 'A rule of the ReDoS test.',
  severity: 'warning',
  category: 'other',
  conditions: { all: [{ fact: 'raw.text', operator: 'matches', value: pattern }] },
  message: 'matched',
  remedy: 'none',
  throttle: { within: '1ms', key: ['raw.line'] },
});

describe('regular expressions cannot stall the pipeline', () => {
  it('catastrophic patterns are rejected at load with a clear message; the good rule in another file still runs', async () => {
    const dir = join(home, 'catastrophic');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ rules: [ruleWith('local.redos.nested', '^(a+)+$'), ruleWith('local.redos.xx', '(x+x+)+y')] }));
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ rules: [ruleWith('local.redos.good', '^a+$')] }));
    const log = join(home, 'a.log');
    writeFileSync(log, 'a'.repeat(40) + '\n' + 'a'.repeat(40) + '!\n');
    const r = await runCli(['replay', '--json', '--no-builtin', '--rules', dir, log], { env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const bad = join(dir, 'bad.json');
    expect(r.stderr).toContain(`${bad}: rule "local.redos.nested": "conditions.all[0].value" nested quantifier at position 5: a repeated group contains a quantifier (catastrophic backtracking); rewrite it`);
    expect(r.stderr).toContain(`${bad}: rule "local.redos.xx": "conditions.all[0].value" nested quantifier at position 6`);
    expect(jsonLines(r.stdout).map((a) => a.rule)).toEqual(['local.redos.good']);
  });

  it('a heavy pattern over a 100,000-character line finishes: the input bound and the linear fallback hold', async () => {
    const dir = join(home, 'heavy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'heavy.json'), JSON.stringify({ rules: [ruleWith('local.redos.heavy', '.*a.*b.*c')] }));
    const log = join(home, 'long.log');
    writeFileSync(log, 'ab'.repeat(50_000) + '\nshort line: a then b then c\n');
    const v = await runCli(['rules', 'validate', dir], { env });
    expect(v.code, v.stderr).toBe(0); // the static check lets it through: only the run-time defences stop it
    const r = await runCli(['replay', '--json', '--no-builtin', '--rules', dir, log], { env, timeoutMs: 60_000 });
    expect(r.code, `replay did not finish within 60 s or failed: ${r.stderr}`).toBe(0);
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => [a.rule, a.line ?? a.raw])).toHaveLength(1);
    expect(alerts[0]!.rule).toBe('local.redos.heavy');
    expect(r.stderr).toMatch(/2 lines, 2 events, 1 alerts/);
  });

  it('a lookaround pattern that repeats without bound more than once is rejected; one that the linear engine takes runs in linear time', async () => {
    // ^(?!root$).*.*.*.*=$ passed the guard and stalled every source for 33.9 s on one
    // 768-character user name (issue 19): the lookahead keeps it off V8's linear engine.
    const dir = join(home, 'lookaround');
    mkdirSync(dir);
    writeFileSync(join(dir, 'look.json'), JSON.stringify({ rules: [ruleWith('local.redos.look', '^(?!root$).*.*.*.*=$')] }));
    writeFileSync(join(dir, 'linear.json'), JSON.stringify({ rules: [ruleWith('local.redos.linear', '^.*.*.*.*=$'), ruleWith('local.redos.lookone', '^(?!root$).*=$')] }));
    const log = join(home, 'names.log');
    writeFileSync(log, `${'u'.repeat(768)}\n${'u'.repeat(4096)}\n${'u'.repeat(100)}=\nroot=\n`);
    const v = await runCli(['rules', 'validate', dir], { env });
    expect(v.code).not.toBe(0);
    expect(v.stdout + v.stderr).toContain('uses a lookaround, so it cannot run on the linear-time engine, and repeats without bound 4 times');
    const r = await runCli(['replay', '--json', '--no-builtin', '--rules', dir, log], { env, timeoutMs: 60_000 });
    expect(r.code, `replay did not finish within 60 s or failed: ${r.stderr}`).toBe(0);
    const alerts = jsonLines(r.stdout).map((a) => `${a.rule} ${(a.evidence as Array<{ text: string }>)[0]!.text.slice(0, 8)}`);
    expect(alerts.sort()).toEqual(['local.redos.linear root=', 'local.redos.linear uuuuuuuu', 'local.redos.lookone root=', 'local.redos.lookone uuuuuuuu']);
  });
});
