/**
 * `connwatch rules validate|list|test`, through the built binary.
 *
 * validate: every file of the broken-rule corpus (test/rules/broken/, one problem per file) is
 * rejected with exit code 1 and exactly one message that names the file, the rule (when it has
 * an id), the field, and what was expected; the worked examples and the built-in pack pass.
 * list: id, severity, category, enabled, file; reflects --disable and a user override.
 * test: per line the program, the event, the hits, and for a line without a hit the closest rule
 * and the condition that failed.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runCli } from '../helpers/cli.js';

const BROKEN = join(ROOT, 'test', 'rules', 'broken');
const home = mkdtempSync(join(tmpdir(), 'connwatch-rules-cli-'));
const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state') };
afterAll(() => rmSync(home, { recursive: true, force: true }));

interface Expectation {
  /** Rule id the message names; undefined: the problem is about the file itself. */
  rule?: string;
  /** Field the message names (undefined: none). */
  field?: string;
  /** What the message must say (what was expected, and what came). */
  says: RegExp;
}

const R = (name: string) => `local.broken.${name}`;
const DURATION = /must be a duration like "30s" or "5m" \(units ms, s, m, h, d\), got /;
const NESTED = /nested quantifier at position \d+: a repeated group contains .*catastrophic backtracking.*rewrite it/;

/** One entry per file of test/rules/broken (the test fails when a file has none, or an entry has no file). */
const CORPUS: Record<string, Expectation> = {
  'bad-json.json': { says: /is not valid JSON at line 1, column 60: Expected ',' or '}'/ },
  'trailing-comma.json': { says: /is not valid JSON: Unexpected token '\]'/ },
  'empty-file.json': { says: /is not valid JSON \(the file is empty\)/ },
  'not-an-object.json': { says: /must be a JSON object with a "rules" array, got \[/ },
  'missing-rules.json': { field: 'rules', says: /must be an array of rules, got undefined/ },
  'rules-not-array.json': { field: 'rules', says: /must be an array of rules, got \{/ },
  'unknown-top-level-field.json': { field: 'disabled', says: /unknown top-level field; expected one of \$schema, description, rules/ },
  'rule-not-object.json': { rule: '#1', says: /a rule must be an object, got "local\.broken\.rule-not-object"/ },
  'unknown-rule-field.json': { rule: R('unknown-rule-field'), field: 'severty', says: /unknown field; expected one of id, title, description, severity,/ },
  'missing-id.json': { rule: '#1', field: 'id', says: /must be a dotted lowercase id like "plink\.kex\.gex-old-client" \(2 to 6 parts of a-z, 0-9, -\), got undefined/ },
  'missing-title.json': { rule: R('missing-title'), field: 'title', says: /must be a non-empty string, got undefined/ },
  'missing-message.json': { rule: R('missing-message'), field: 'message', says: /must be a non-empty string, got undefined/ },
  'missing-remedy.json': { rule: R('missing-remedy'), field: 'remedy', says: /must be a non-empty string, got undefined/ },
  'blank-description.json': { rule: R('blank-description'), field: 'description', says: /must be a non-empty string, got " {3}"/ },
  'missing-conditions.json': { rule: R('missing-conditions'), field: 'conditions', says: /is required: json-rules-engine conditions with all\/any\/not/ },
  'bad-id-format.json': { rule: 'Local.Broken.BadId', field: 'id', says: /must be a dotted lowercase id .*got "Local\.Broken\.BadId"/ },
  'bad-id-one-part.json': { rule: 'localrule', field: 'id', says: /must be a dotted lowercase id .*2 to 6 parts.*got "localrule"/ },
  'duplicate-id-in-file.json': { rule: 'local.broken.duplicate-id', field: 'id', says: /duplicate id: another rule in this file has the same id/ },
  'bad-severity.json': { rule: R('bad-severity'), field: 'severity', says: /must be one of info, warning, error, critical, got "high"/ },
  'bad-category.json': { rule: R('bad-category'), field: 'category', says: /must be one of hang, negotiation, hostkey, auth, network, certificate, stale, server, security, other, got "login"/ },
  'bad-enabled.json': { rule: R('bad-enabled'), field: 'enabled', says: /must be true or false, got "no"/ },
  'unknown-operator.json': { rule: R('unknown-operator'), field: 'conditions.all[2].operator', says: /must be one of equal, notEqual, in, .*matches, .*exists, got "regex"/ },
  'unknown-fact.json': { rule: R('unknown-fact'), field: 'conditions.all[2].fact', says: /unknown field "address"; expected one of time, program, kind, .*detail\.NAME, connection\.\(id\|/ },
  'unknown-connection-field.json': { rule: R('unknown-connection-field'), field: 'conditions.all[2].fact', says: /unknown connection field "hostname"; expected one of id, phase, startedAt, host/ },
  'field-path-too-deep.json': { rule: R('field-path-too-deep'), field: 'conditions.all[2].fact', says: /"detail\.method\.name" is nested too deep; expected one of/ },
  'unknown-event-kind.json': { rule: R('unknown-event-kind'), field: 'conditions.all[1].value', says: /unknown event kind "auth\.fail" \(see docs\/events\.md\)/ },
  'unknown-event-kind-in-list.json': { rule: R('unknown-event-kind-in-list'), field: 'conditions.all[1].value', says: /unknown event kind "auth\.invalid"/ },
  'in-not-array.json': { rule: R('in-not-array'), field: 'conditions.all[1].value', says: /must be an array for "in", got "auth\.failed"/ },
  'missing-value.json': { rule: R('missing-value'), field: 'conditions.all[2].value', says: /is required/ },
  'unknown-condition-field.json': { rule: R('unknown-condition-field'), field: 'conditions.all[2].path', says: /unknown field in a condition; expected fact, operator, value/ },
  'all-not-alone.json': { rule: R('all-not-alone'), field: 'conditions', says: /"all" must stand alone in its object, found also any/ },
  'condition-not-object.json': { rule: R('condition-not-object'), field: 'conditions.all[2]', says: /must be an object \{"all": \[\.\.\.\]\}, .*got "kind == auth\.failed"/ },
  'invalid-regex.json': { rule: R('invalid-regex'), field: 'conditions.all[2].value', says: /not a valid regular expression: .*Unterminated group/ },
  'regex-not-string.json': { rule: R('regex-not-string'), field: 'conditions.all[2].value', says: /must be a regular expression string, got \["password"\]/ },
  'catastrophic-regex-nested.json': { rule: R('catastrophic-regex-nested'), field: 'conditions.all[2].value', says: NESTED },
  'catastrophic-regex-xx.json': { rule: R('catastrophic-regex-xx'), field: 'conditions.all[2].value', says: NESTED },
  'catastrophic-regex-optional.json': { rule: R('catastrophic-regex-optional'), field: 'conditions.all[2].value', says: NESTED },
  'catastrophic-regex-alternation.json': { rule: R('catastrophic-regex-alternation'), field: 'conditions.all[2].value', says: /a repeated group contains an alternation/ },
  'regex-back-reference.json': { rule: R('regex-back-reference'), field: 'conditions.all[2].value', says: /back-references are not allowed/ },
  'bad-expect-within.json': { rule: R('bad-expect-within'), field: 'expect.within', says: new RegExp(`${DURATION.source}"30"`) },
  'zero-expect-within.json': { rule: R('zero-expect-within'), field: 'expect.within', says: new RegExp(`${DURATION.source}"0s"`) },
  'bad-threshold-within.json': { rule: R('bad-threshold-within'), field: 'threshold.within', says: new RegExp(`${DURATION.source}"2 minutes"`) },
  'bad-throttle.json': { rule: R('bad-throttle'), field: 'throttle', says: new RegExp(`${DURATION.source}"soon"`) },
  'bad-throttle-object.json': { rule: R('bad-throttle-object'), field: 'throttle.within', says: new RegExp(`${DURATION.source}600`) },
  'threshold-count-one.json': { rule: R('threshold-count-one'), field: 'threshold.count', says: /must be a whole number from 2 to 100000, got 1$/ },
  'threshold-count-fraction.json': { rule: R('threshold-count-fraction'), field: 'threshold.count', says: /must be a whole number from 2 to 100000, got 2\.5/ },
  'expect-and-threshold.json': { rule: R('expect-and-threshold'), field: 'threshold', says: /a rule has either "expect" or "threshold", not both/ },
  'unknown-expect-field.json': { rule: R('unknown-expect-field'), field: 'expect.timeout', says: /unknown field; expected one of within, conditions, key, atEndOfInput/ },
  'unknown-threshold-field.json': { rule: R('unknown-threshold-field'), field: 'threshold.per', says: /unknown field; expected one of count, within, key/ },
  'bad-at-end-of-input.json': { rule: R('bad-at-end-of-input'), field: 'expect.atEndOfInput', says: /must be "fire" or "pending", got "alert"/ },
  'expect-not-object.json': { rule: R('expect-not-object'), field: 'expect', says: /must be an object with "within", got "20s"/ },
  'placeholder-no-field.json': { rule: R('placeholder-no-field'), field: 'message', says: /placeholder \{username\}: unknown field "username"; expected one of .*host.*, or rule, count, within/ },
  'placeholder-unknown-detail-path.json': { rule: R('placeholder-unknown-detail-path'), field: 'remedy', says: /placeholder \{detail\.\}: .*detail field names are letters, digits and _/ },
  'unbalanced-brace.json': { rule: R('unbalanced-brace'), field: 'title', says: /unbalanced "\{" or "\}" \(write \{\{ or \}\} for a literal brace\)/ },
  'key-not-array.json': { rule: R('key-not-array'), field: 'key', says: /must be a non-empty array of field names such as \["connection\.id"\] or \["host"\], got "host"/ },
  'key-empty.json': { rule: R('key-empty'), field: 'key', says: /must be a non-empty array of field names .*got \[\]/ },
  'key-bad-field.json': { rule: R('key-bad-field'), field: 'key', says: /unknown field "source\.address"; expected one of/ },
  'expect-key-bad-field.json': { rule: R('expect-key-bad-field'), field: 'expect.key', says: /unknown field "session"; expected one of/ },
  'deeply-nested-conditions.json': { rule: R('deeply-nested-conditions'), field: 'conditions.all[2]' + '.not'.repeat(20), says: /conditions nest deeper than 20 levels/ },
};

const corpusFiles = readdirSync(BROKEN).filter((f) => f.endsWith('.json')).sort();

describe('rules validate: the broken-rule corpus', () => {
  it('has at least 30 files, each with an expectation, and no expectation without a file', () => {
    expect(corpusFiles.length).toBeGreaterThanOrEqual(30);
    expect(corpusFiles).toEqual(Object.keys(CORPUS).sort());
  });

  it.each(corpusFiles)('%s: exit 1, one message naming the file, the rule, the field and what was expected', async (name) => {
    const x = CORPUS[name]!;
    const file = join(BROKEN, name);
    const r = await runCli(['rules', 'validate', file], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('connwatch rules validate: 1 error(s)');
    expect(lines, r.stderr).toHaveLength(2);
    const prefix = `${file}: ${x.rule !== undefined ? `rule "${x.rule}": ` : ''}${x.field !== undefined ? `"${x.field}" ` : ''}`;
    expect(lines[0]!.startsWith(prefix), `${lines[0]}\n  should start with\n${prefix}`).toBe(true);
    expect(lines[0]!.slice(prefix.length)).toMatch(x.says);
  });

  it('two files of one directory with the same id: the second names the first', async () => {
    const dir = join(BROKEN, 'duplicate-id-across-files');
    const r = await runCli(['rules', 'validate', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'b.json')}: rule "local.broken.duplicate-across-files": "id" duplicate id: also defined in ${join(dir, 'a.json')}`);
    expect(r.stderr).toMatch(/1 error\(s\)\n$/);
  });

  it('the whole corpus at once: every file reported, exit 1', async () => {
    const r = await runCli(['rules', 'validate', BROKEN], { env });
    expect(r.code).toBe(1);
    for (const f of corpusFiles) expect(r.stderr).toContain(join(BROKEN, f));
  });

  it('the built-in pack and the worked examples pass, exit 0', async () => {
    const r = await runCli(['rules', 'validate', join(ROOT, 'rules'), ...['rdp-not-established', 'ssh-failed-logins', 'silence-host'].map((d) => join(ROOT, 'docs', 'examples', d))], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^connwatch rules validate: \d+ rule\(s\) OK\n$/);
  });

  it('a missing path is an error naming it', async () => {
    const r = await runCli(['rules', 'validate', join(home, 'nope.json')], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(home, 'nope.json')}: cannot be read`);
  });
});

describe('rules list', () => {
  const dir = join(home, 'list-rules');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'off.json'),
    JSON.stringify({
      rules: [
        {
          id: 'local.plink.switched-off',
          title: 'A rule written but switched off',
          description: 'Shows that "enabled": false is listed as disabled.',
          severity: 'info',
          category: 'other',
          enabled: false,
          conditions: { all: [{ fact: 'program', operator: 'equal', value: 'plink' }] },
          message: 'm',
          remedy: 'r',
        },
      ],
    }),
  );
  const silence = join(ROOT, 'docs', 'examples', 'silence-host');

  it('shows id, severity, category, enabled and file; a user override replaces the built-in row; --disable and "enabled": false show as disabled', async () => {
    const r = await runCli(['rules', 'list', '--rules', silence, '--rules', dir, '--disable', 'plink.kex.gex-old-client'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const rows = r.stdout.trimEnd().split('\n');
    const row = (id: string) => rows.filter((l) => l.split(/\s+/)[0] === id);
    expect(row('plink.hostkey.prompt-hang')).toHaveLength(1);
    expect(row('plink.hostkey.prompt-hang')[0]).toMatch(/^plink\.hostkey\.prompt-hang\s+error\s+hang\s+enabled\s+\S*docs\/examples\/silence-host\/silence-host\.json$/);
    expect(row('plink.kex.gex-old-client')[0]).toMatch(/^plink\.kex\.gex-old-client\s+error\s+negotiation\s+disabled\s+\(built-in\) \S*rules\/plink-kex\.json$/);
    expect(row('local.plink.switched-off')[0]).toMatch(/^local\.plink\.switched-off\s+info\s+other\s+disabled\s+\S*off\.json$/);
    expect(rows.length).toBeGreaterThan(10);
    const ids = rows.map((l) => l.split(/\s+/)[0]!);
    expect(ids).toEqual([...ids].sort((a, b) => a.localeCompare(b)));
  });

  it('--json: one object per rule with the same facts', async () => {
    const r = await runCli(['rules', 'list', '--json', '--rules', silence, '--disable', 'plink.kex.gex-old-client'], { env });
    const list = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(list.find((x) => x.id === 'plink.hostkey.prompt-hang')).toMatchObject({ severity: 'error', category: 'hang', builtin: false, enabled: true, file: join(silence, 'silence-host.json') });
    expect(list.find((x) => x.id === 'plink.kex.gex-old-client')).toMatchObject({ builtin: true, enabled: false });
  });

  it('a broken user file is reported on stderr and its rules are left out; the rest are listed', async () => {
    const r = await runCli(['rules', 'list', '--rules', join(BROKEN, 'duplicate-id-across-files')], { env });
    expect(r.stderr).toMatch(/b\.json: rule "local\.broken\.duplicate-across-files": "id" duplicate id: also defined in .*a\.json/);
    expect(r.stdout).toMatch(/^local\.broken\.duplicate-across-files .*a\.json$/m);
    expect(r.stdout).toMatch(/^plink\.kex\.gex-old-client /m);
  });
});

describe('rules test', () => {
  const gex = join(FIXTURES, 'incidents', 'plink-0.60-gex-fail-openssh-7.2.txt');
  const dir = join(home, 'test-rules');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'near.json'),
    JSON.stringify({
      rules: [
        {
          id: 'local.plink.curve-kex',
          title: 'plink uses curve25519',
          description: 'A rule that almost matches line 6 of the incident: same program and kind, another method.',
          severity: 'info',
          category: 'other',
          conditions: {
            all: [
              { fact: 'program', operator: 'equal', value: 'plink' },
              { fact: 'kind', operator: 'equal', value: 'kex.start' },
              { fact: 'detail.method', operator: 'matches', value: '^curve25519' },
            ],
          },
          message: 'm',
          remedy: 'r',
        },
      ],
    }),
  );

  it('on the real plink 0.60 incident: every line in order with its program, event and hits', async () => {
    const r = await runCli(['rules', 'test', gex], { env });
    expect(r.code, r.stderr).toBe(0);
    const blocks = r.stdout.split(/\n(?=line \d+: )/);
    expect(blocks.map((b) => /^line (\d+):/.exec(b)?.[1])).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(blocks[0]).toMatch(/^line 1: Looking up host "127\.0\.0\.1"\n {2}program: plink {3}parser pattern: plink\.conn\.lookup\n {2}event: .* plink connect\.lookup host=127\.0\.0\.1\n/);
    expect(blocks[6]).toMatch(/event: .* plink kex\.failed host=127\.0\.0\.1 port=52022 reason="group-packet-missing"/);
    expect(blocks[6]).toMatch(/\*\* rule plink\.kex\.gex-old-client \(error\) hit/);
    for (const b of blocks.slice(0, 6)) expect(b).not.toMatch(/\*\* rule/);
    expect(r.stdout).toMatch(/\nalerts:\n.*ERROR \[plink\.kex\.gex-old-client\]/);
    expect(r.stderr).toMatch(/connwatch rules test: 7 lines, 7 events, 1 alerts, 0 lines not understood/);
  });

  it('a line that hits nothing names the closest rule and the condition that failed, with the value the event had', async () => {
    const r = await runCli(['rules', 'test', '--no-builtin', '--rules', dir, gex], { env });
    expect(r.code, r.stderr).toBe(0);
    const line6 = r.stdout.split(/\n(?=line \d+: )/).find((b) => b.startsWith('line 6:'))!;
    expect(line6).toMatch(/event: .* plink kex\.start .*method="dh-group-exchange"/);
    expect(line6).toContain('closest rule: local.plink.curve-kex — failed: detail.method matches "^curve25519" (event has "dh-group-exchange")');
    const line1 = r.stdout.split(/\n(?=line \d+: )/).find((b) => b.startsWith('line 1:'))!;
    expect(line1).toMatch(/closest rule: local\.plink\.curve-kex — failed: kind equal "kex\.start" \(event has "connect\.lookup"\)/);
    expect(r.stdout).not.toContain('alerts:');
  });
});
