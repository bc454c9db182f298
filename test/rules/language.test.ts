/**
 * The small parts of the rule language: durations, templates (placeholders, fallbacks, literal
 * braces), the regex guard (safe patterns pass, catastrophic ones are rejected, input bounded),
 * and loading (layers, overrides, duplicate ids, a broken file keeping its last good rules, BOM).
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../agent/event.js';
import { formatDuration, parseDuration } from '../../agent/rules/duration.js';
import { loadRules } from '../../agent/rules/load.js';
import { MAX_INPUT, checkRegex, safeTester } from '../../agent/rules/regex-guard.js';
import { compileTemplate, renderTemplate } from '../../agent/rules/template.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
  ])('%s = %i ms, and back', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
  it.each(['30', '0s', '', ' 30s', '30 s', '2 minutes', '-5s', '1.5s', '5M', 'ms', 30, null])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('templates', () => {
  const e: Event = {
    time: Date.UTC(2026, 10, 21, 13, 32, 7),
    timeFrom: 'line',
    program: 'plink',
    kind: 'prompt.hostkey',
    host: '127.0.0.1',
    port: 2201,
    detail: { prompt: 'Store key in cache?', empty: '' },
    connection: { id: 'c1', phase: 'hostkey', startedAt: Date.UTC(2026, 10, 21, 13, 32, 0), events: 3, clientVersion: 'SSH-2.0-PuTTY_Release_0.78' },
    raw: { text: 'Store key in cache?', source: 'test' },
  };
  const render = (t: string, extra = {}) => renderTemplate(compileTemplate(t), e, extra);

  it('fills event, detail, connection and alert fields', () => {
    expect(render('{program} to {host}:{port} asked "{detail.prompt}" ({connection.clientVersion}), {count} times, rule {rule}', { count: 2, rule: 'x.y' })).toBe(
      'plink to 127.0.0.1:2201 asked "Store key in cache?" (SSH-2.0-PuTTY_Release_0.78), 2 times, rule x.y',
    );
  });
  it('uses the fallback when the field is missing or empty, "?" without one', () => {
    expect(render('{user|someone} {detail.empty|nothing} {connection.serverVersion|an unknown server} {user}')).toBe('someone nothing an unknown server ?');
  });
  it('formats times as ISO 8601', () => {
    expect(render('{time} {connection.startedAt}')).toBe('2026-11-21T13:32:07.000Z 2026-11-21T13:32:00.000Z');
  });
  it('{{ and }} are literal braces', () => {
    expect(render('{{host}} is {host}')).toBe('{host} is 127.0.0.1');
  });
  it.each([
    ['{hostname}', /placeholder \{hostname\}: unknown field "hostname"; expected one of .*, or rule, count/],
    ['{connection.hostname}', /unknown connection field "hostname"/],
    ['{host', /unbalanced/],
    ['host}', /unbalanced/],
  ])('%s is an error: %s', (t, msg) => {
    expect(() => compileTemplate(t)).toThrow(msg);
  });
});

describe('regex guard', () => {
  it.each([
    '^Failed (password|publickey) for',
    '\\d+\\.\\d+',
    '^(?:ssh2)?$',
    'kex_(?:exchange|protocol)_identification',
    '[a-z]+(-[a-z]+)*',
    '^\\d+(\\.\\d+)*$',
    '(ab)+',
    'CredSSP: Initialize failed',
  ])('accepts the safe pattern %s', (p) => {
    expect(checkRegex(p)).toBeUndefined();
  });

  it.each([
    ['^(a+)+$', /nested quantifier at position 5/],
    ['(x+x+)+y', /nested quantifier/],
    ['^(a?a?)+$', /nested quantifier/],
    ['^(a|aa)+$', /contains an alternation/],
    ['(\\w+\\s?)*', /nested quantifier/],
    ['(-[a-z-]+)*', /nested quantifier/], // the delimiter can be matched by the repeat: ambiguous
    ['(-\\w+\\w+)*', /nested quantifier/], // two repeats inside: ambiguous within a repetition
    ['((-[a-z]+)*)+', /nested quantifier/],
    ['(\\w+) \\1', /back-references are not allowed/],
    ['(?<w>a)\\k<w>', /back-references are not allowed/],
    ['([a-z]', /not a valid regular expression/],
  ])('rejects %s', (p, msg) => {
    expect(checkRegex(p)).toMatch(msg);
  });

  it(`tests at most ${MAX_INPUT} characters of the input`, () => {
    const t = safeTester('END$');
    expect(t('x'.repeat(MAX_INPUT - 3) + 'END')).toBe(true);
    expect(t('x'.repeat(MAX_INPUT) + 'END')).toBe(false);
    expect(t(undefined)).toBe(false);
  });
});

describe('loading layers', () => {
  const root = mkdtempSync(join(tmpdir(), 'connwatch-load-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const spec = (id: string, title = 'A title') => ({
    id,
    title,
    description: 'd',
    severity: 'warning',
    category: 'other',
    conditions: { all: [{ fact: 'program', operator: 'equal', value: 'plink' }] },
    message: 'm',
    remedy: 'r',
  });
  const write = (dir: string, name: string, content: unknown) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  };

  it('a later layer replaces a rule by id; two files of one layer with one id is an error', () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    write(a, '1.json', { rules: [spec('x.one'), spec('x.two')] });
    write(b, '1.json', { rules: [spec('x.one', 'override')] });
    write(b, '2.json', { rules: [spec('x.one', 'again')] });
    const loaded = loadRules([
      { dir: a, builtin: true },
      { dir: b, builtin: false },
    ]);
    expect(loaded.problems.map((p) => `${p.file}|${p.rule}|${p.field}|${p.message}`)).toEqual([`${join(b, '2.json')}|x.one|id|duplicate id: also defined in ${join(b, '1.json')}`]);
    const one = loaded.rules.find((r) => r.id === 'x.one')!;
    expect([one.spec.title, one.builtin, one.file]).toEqual(['override', false, join(b, '1.json')]);
    expect(loaded.rules.map((r) => r.id).sort()).toEqual(['x.one', 'x.two']);
  });

  it('a file that breaks keeps its last good rules when the previous load is given; without it, its rules are gone', () => {
    const d = join(root, 'reload');
    write(d, 'r.json', { rules: [spec('x.kept', 'first')] });
    const good = loadRules([{ dir: d, builtin: false }]);
    write(d, 'r.json', '{ "rules": [ ');
    const broken = loadRules([{ dir: d, builtin: false }], { previous: good });
    expect(broken.problems).toHaveLength(1);
    expect(broken.rules.map((r) => [r.id, r.spec.title])).toEqual([['x.kept', 'first']]);
    expect(loadRules([{ dir: d, builtin: false }]).rules).toEqual([]);
  });

  it('a condition the evaluator cannot run is an error of its rule in its file; the other files load', () => {
    const d = join(root, 'uncompilable');
    const bad = { ...spec('x.bad'), conditions: { all: [{ fact: 'host', operator: 'equal', value: { fact: 'user', path: '$.name' } }] } };
    write(d, 'a.json', { rules: [bad] });
    write(d, 'b.json', { rules: [spec('x.good'), { ...spec('x.ref'), conditions: { all: [{ fact: 'host', operator: 'notEqual', value: { fact: 'connection.host' } }] } }] });
    const loaded = loadRules([{ dir: d, builtin: false }]);
    expect(loaded.problems.map((p) => `${p.file}|${p.rule}|${p.message}`)).toEqual([
      `${join(d, 'a.json')}|x.bad|cannot be compiled: a value {"fact": "user"} may hold nothing but "fact" (it has "path"): it names a field of the same event`,
    ]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['x.good', 'x.ref']);
  });

  it('disabled ids are loaded but not enabled', () => {
    const d = join(root, 'disabled');
    write(d, 'r.json', { rules: [spec('x.on'), spec('x.off')] });
    const loaded = loadRules([{ dir: d, builtin: false }], { disabled: ['x.off'] });
    expect(loaded.rules.map((r) => [r.id, r.enabled])).toEqual([
      ['x.on', true],
      ['x.off', false],
    ]);
  });

  it('a UTF-8 byte-order mark (Windows Notepad) is accepted', () => {
    const d = join(root, 'bom');
    write(d, 'r.json', '\uFEFF' + JSON.stringify({ rules: [spec('x.bom')] }));
    const loaded = loadRules([{ dir: d, builtin: false }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.rules.map((r) => r.id)).toEqual(['x.bom']);
  });
});
