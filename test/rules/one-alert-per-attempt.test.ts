/**
 * Counts mean attempts (issue 17): sshd lines that belong to one attempt, or only frame others,
 * raise no alert of their own. Lines quoted from test/parsers/sshd.samples.log (real sshd output).
 */
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replayBuiltin, sampleLog } from './builtin/run.js';

describe('one alert per attempt on the sshd side', () => {
  it("sshd 8.x+'s two lines for one invalid banner (kex_exchange_identification, then banner exchange) are one alert, naming the address", async () => {
    const file = sampleLog('sshd', ['kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"', 'banner exchange: Connection from 127.0.0.1 port 52876: invalid format']);
    const { alerts } = await replayBuiltin([file], { program: 'sshd' });
    expect(alerts.map((a) => [a.rule, a.host, a.count])).toEqual([['sshd.ident.invalid', '127.0.0.1', 1]]);
  });

  it('two MaxStartups drops with the throttling line before them are one alert counting 2', async () => {
    // two clients' connections, two source ports: two attempts (the real line, and the same from
    // the next port: sshd's listener writes one such line per connection it drops)
    const drop = 'drop connection #1 from [127.0.0.1]:60030 on [127.0.0.1]:36105 past MaxStartups';
    const file = sampleLog('sshd', ['beginning MaxStartups throttling', drop]);
    appendFileSync(file, `${drop.replace(':60030', ':60032')}\n`);
    const { alerts } = await replayBuiltin([file], { program: 'sshd' });
    expect(alerts.map((a) => [a.rule, a.host, a.count])).toEqual([['sshd.server.maxstartups', '127.0.0.1', 2]]);
  });
});
