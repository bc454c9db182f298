/**
 * rules/plink-sshlog.json through `connwatch replay --json` on real plink 0.78 captures: the
 * host-key hang read from a -sshlog file (the question is never in it; the log stops after the
 * fingerprint), and no second alert where the console capture already shows the prompt.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, jsonLines, runCli } from '../helpers/cli.js';

const plink = (dir: string, f: string) => join(FIXTURES, 'plink', dir, f);
const rules = async (file: string) => jsonLines((await runCli(['replay', '--json', file])).stdout).map((a) => a.rule);

describe('plink.sshlog.hostkey-hang', () => {
  it('fires on the -sshlog file of plink waiting at "Store key in cache?" (it ends at the fingerprint)', async () => {
    const r = await runCli(['replay', '--json', plink('04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe', 'client.sshlog')]);
    const alerts = jsonLines(r.stdout);
    expect(alerts.map((a) => a.rule)).toEqual(['plink.sshlog.hostkey-hang']);
    expect(alerts[0]).toMatchObject({ severity: 'error', category: 'hang', host: '127.0.0.1' });
    expect(alerts[0]!.message).toMatch(/client\.sshlog ends at the ssh-ed25519 host key fingerprint of 127\.0\.0\.1/);
    expect(alerts[0]!.remedy).toMatch(/-batch/);
  });

  it('stays silent when the log goes on: a stored key, a batch abort, a user abort, a session', async () => {
    for (const [dir, expected] of [
      ['01-plink-success__a-first-connect-store-hostkey', []],
      ['01-plink-success__b-batch-password', []],
      ['04-plink-new-hostkey-prompt__b-batch', ['plink.hostkey.not-confirmed']],
      ['04-plink-new-hostkey-prompt__c-nobatch-stdin-devnull-EOF', ['plink.hostkey.not-confirmed']],
      ['05-plink-changed-hostkey__b-batch', ['plink.hostkey.not-confirmed']],
    ] as const) {
      expect((await rules(plink(dir, 'client.sshlog'))).filter((r) => r !== 'plink.hostkey.new'), dir).toEqual(expected);
    }
  });

  it('the console capture of the same hang raises only the prompt rule (the sshlog rule reads "Event Log: " lines only)', async () => {
    expect(await rules(plink('04-plink-new-hostkey-prompt__a-nobatch-silent-stdin-pipe', 'client.stderr'))).toEqual(['plink.hostkey.prompt-hang']);
  });
});
