/**
 * The founding incidents and the real plink 0.78 captures, through `connwatch replay --json`:
 * the same binary a user runs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, jsonLines, runCli } from '../helpers/cli.js';

const incident = (f: string) => join(FIXTURES, 'incidents', f);
const plink = (dir: string, f = 'client.stderr') => join(FIXTURES, 'plink', dir, f);
const severe = (a: Record<string, unknown>) => a.severity !== 'info';

describe('replay: the plink incidents', () => {
  it('plink 0.60 against OpenSSH 7.2: exactly one alert, the old-GEX rule, with the upgrade remedy', async () => {
    const r = await runCli(['replay', '--json', incident('plink-0.60-gex-fail-openssh-7.2.txt')]);
    expect(r.code).toBe(0);
    const alerts = jsonLines(r.stdout);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ rule: 'plink.kex.gex-old-client', severity: 'error', category: 'negotiation', program: 'plink', host: '127.0.0.1' });
    expect(a.remedy).toMatch(/0\.65 or newer/);
    expect(a.message).toMatch(/expected key exchange group packet from server/);
    expect(a.message).toMatch(/PuTTY_Release_from_0\.60/);
    for (const k of ['rule', 'severity', 'category', 'title', 'message', 'remedy', 'program', 'time']) expect(a[k], k).toBeTruthy();
    expect(r.stderr).toMatch(/7 lines, \d+ events, 1 alerts .* 0 lines not understood/);
  });

  it('plink 0.67 at the changed-host-key prompt: the prompt hang, with -hostkey, -batch and a one-time interactive run', async () => {
    const r = await runCli(['replay', '--json', incident('plink-0.67-hostkey-changed-hang.txt')]);
    const alerts = jsonLines(r.stdout);
    // the hang, and (separately, as a security warning) that the key changed
    expect(alerts.filter((a) => a.category === 'hang').map((a) => a.rule)).toEqual(['plink.hostkey.prompt-hang']);
    const a = alerts.find((x) => x.rule === 'plink.hostkey.prompt-hang')!;
    expect(a.category).toBe('hang');
    expect(a.message).toMatch(/Update cached key\?/);
    expect(a.message).toMatch(/changed host key of 127\.0\.0\.1/);
    expect(a.remedy).toMatch(/-hostkey/);
    expect(a.remedy).toMatch(/-batch/);
    expect(a.remedy).toMatch(/interactively/);
  });

  it('plink 0.60 against OpenSSH 6.7 (works): no alert of severity warning or above; the unfinished connection is listed', async () => {
    const r = await runCli(['replay', '--json', incident('plink-0.60-ok-openssh-6.7.txt')]);
    expect(jsonLines(r.stdout).filter(severe)).toEqual([]);
    expect(r.stderr).toMatch(/unfinished: connection c1 to 127\.0\.0\.1:59022 stopped in phase "auth"/);
  });

  it('the changed host key answered with y: no hang', async () => {
    const r = await runCli(['replay', '--json', incident('plink-0.67-hostkey-changed-openssh-7.2.txt')]);
    expect(jsonLines(r.stdout).map((a) => a.rule)).not.toContain('plink.hostkey.prompt-hang');
  });
});

describe('replay: real plink 0.78 at a new host key (fixture 04)', () => {
  it('a: no -batch, nobody answers → prompt hang', async () => {
    const r = await runCli(['replay', '--json', plink('04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe')]);
    const rules = jsonLines(r.stdout).map((a) => a.rule);
    expect(rules).toContain('plink.hostkey.prompt-hang');
    const a = jsonLines(r.stdout).find((x) => x.rule === 'plink.hostkey.prompt-hang')!;
    expect(a.message).toMatch(/new host key of 127\.0\.0\.1/);
    expect(a.port).toBe(2201);
  });

  it('b: -batch aborts at once → no hang', async () => {
    const r = await runCli(['replay', '--json', plink('04-plink-new-hostkey-prompt__b-batch')]);
    expect(jsonLines(r.stdout).map((a) => a.rule)).not.toContain('plink.hostkey.prompt-hang');
  });

  it('d: answered n, connected once → no hang', async () => {
    const r = await runCli(['replay', '--json', plink('04-plink-new-hostkey-prompt__d-nobatch-answer-n-connect-once')]);
    expect(jsonLines(r.stdout).map((a) => a.rule)).not.toContain('plink.hostkey.prompt-hang');
  });

  it('the -sshlog file of a (the prompt is not in it): no hang claimed, the connection is listed as unfinished', async () => {
    const r = await runCli(['replay', '--json', plink('04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe', 'client.sshlog')]);
    expect(jsonLines(r.stdout).map((a) => a.rule)).not.toContain('plink.hostkey.prompt-hang');
    expect(r.stderr).toMatch(/unfinished: connection/);
  });
});

describe('replay: usage', () => {
  it('a missing file is a clear error, exit 2 (usage: docs/cli.md)', async () => {
    const r = await runCli(['replay', '/nonexistent/plink.log']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/plink\.log: no such file/);
  });

  it('--program forces the parser', async () => {
    const r = await runCli(['replay', '--json', '--program', 'plink', incident('plink-0.60-gex-fail-openssh-7.2.txt')]);
    expect(jsonLines(r.stdout)).toHaveLength(1);
  });

  it('--help lists every subcommand', async () => {
    const r = await runCli(['--help']);
    for (const c of ['run', 'replay', 'parse', 'rules', 'alerts']) expect(r.stdout).toMatch(new RegExp(`\\n  ${c}\\b`));
  });
});
