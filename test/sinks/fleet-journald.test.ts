/**
 * Journald fields: the field map checked without any journal (MESSAGE_ID stable per rule,
 * PRIORITY from severity, names journald accepts, values on one line), then read back with
 * `journalctl -o json`:
 *   - from a journal file written by systemd-journal-remote from the same entry text;
 *   - through the real path (JournaldOutput → util-linux `logger --journald` → systemd-journald)
 *     with a journald of the test's own, in a private mount namespace (root and unshare needed;
 *     skipped with the reason otherwise). No systemd-cat anywhere.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../agent/alert.js';
import type { FleetRecord } from '../../agent/sinks/ecs.js';
import { FleetSink } from '../../agent/sinks/fleet.js';
import { HEARTBEAT_MESSAGE_ID, journalEntryText, journalFields, messageIdFor } from '../../agent/sinks/journald-fields.js';
import { assertBuilt, ROOT } from '../helpers/cli.js';
import { fixtureReplays, INCIDENTS, replayInto } from './fleet-helpers.js';

const JOURNAL_REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));
const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));

/** Why no journald of our own can run here, or undefined when one can. */
function noPrivateJournal(): string | undefined {
  if (!JOURNALD) return 'systemd-journald is not installed';
  if (process.getuid?.() !== 0) return 'a private journald needs root (mount namespace and tmpfs mounts)';
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true']);
  if (probe.status !== 0) return `unshare -m is not allowed here (${String(probe.stderr).trim() || probe.error?.message})`;
  if (spawnSync('logger', ['--help']).status !== 0) return 'util-linux logger is not installed';
  return undefined;
}
const whyNot = noPrivateJournal();

async function incidentRecords(): Promise<FleetRecord[]> {
  const seen: FleetRecord[] = [];
  const fleet = new FleetSink([{ name: 'seen', push: (r) => void seen.push(r), close: async () => {} }]);
  for (const files of fixtureReplays().filter((f) => f[0]!.startsWith(INCIDENTS))) await replayInto(files, [fleet]);
  fleet.heartbeat({ interval_s: 900, uptime_s: 1, sources: [], counts: { alerts: seen.length } });
  return seen;
}

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'id1', rule: 'plink.hostkey.changed', severity: 'critical', category: 'hostkey', title: 'Host key changed',
    message: 'The key\nchanged.', remedy: 'Check it.\r\nThen update.', program: 'plink', host: '10.1.1.1', port: 22, user: 'bob',
    time: 0, key: 'k', count: 2, evidence: [{ text: 'WARNING - POTENTIAL SECURITY BREACH!', source: 'x.log', line: 4 }], ...over,
  };
}

describe('journald field map', () => {
  const fleet = new FleetSink([{ name: 'x', push: () => {}, close: async () => {} }]);
  const recOf = (a: Alert): FleetRecord => {
    let rec: FleetRecord | undefined;
    const f = new FleetSink([{ name: 'c', push: (r) => (rec = r), close: async () => {} }], fleet.emitter);
    f.deliver(a);
    return rec!;
  };

  it('gives each rule one MESSAGE_ID, the same on every machine and release', () => {
    expect(messageIdFor('plink.hostkey.changed')).toMatch(/^[0-9a-f]{32}$/);
    expect(messageIdFor('plink.hostkey.changed')).toBe(messageIdFor('plink.hostkey.changed'));
    expect(messageIdFor('plink.hostkey.changed')).not.toBe(messageIdFor('plink.hostkey.prompt-hang'));
    // pinned: a change here breaks every saved `journalctl MESSAGE_ID=…` query and collector filter
    expect(messageIdFor('plink.hostkey.changed')).toBe('84bf813c80a7e0ebb18a8be97617cb5f');
    expect(HEARTBEAT_MESSAGE_ID).toBe('c1c907e1dae491c8b10c9311d2a354d1'); // as docs/fleet.md lists it
    const f = new Map(journalFields(recOf(alert())));
    expect(f.get('MESSAGE_ID')).toBe(messageIdFor('plink.hostkey.changed'));
  });

  it('maps severity to PRIORITY and carries the rule, alert and sequence', () => {
    const f = new Map(journalFields(recOf(alert())));
    expect(f.get('PRIORITY')).toBe('2');
    expect(f.get('CONNWATCH_RULE_ID')).toBe('plink.hostkey.changed');
    expect(f.get('CONNWATCH_ALERT_ID')).toBe('id1');
    expect(f.get('CONNWATCH_EVENT_ACTION')).toBe('alert.raised');
    expect(f.get('CONNWATCH_HOST')).toBe('10.1.1.1');
    expect(f.get('SYSLOG_IDENTIFIER')).toBe('connwatch');
    expect(f.get('MESSAGE')).toBe('Host key changed: The key changed.');
    expect(f.get('CONNWATCH_REMEDY')).toBe('Check it. Then update.');
    expect(new Map(journalFields(recOf(alert({ severity: 'warning' })))).get('PRIORITY')).toBe('4');
    expect(new Map(journalFields(recOf(alert({ severity: 'info', id: 'i2' })))).get('PRIORITY')).toBe('6');
  });

  it('uses only names journald accepts and values on one line', async () => {
    for (const rec of await incidentRecords()) {
      const fields = journalFields(rec);
      for (const [k, v] of fields) {
        expect(k).toMatch(/^[A-Z0-9][A-Z0-9_]{0,63}$/);
        expect(v).not.toMatch(/[\n\r\0]|\s$/);
      }
      if (rec.event.kind === 'state') expect(new Map(fields).get('MESSAGE_ID')).toBe(HEARTBEAT_MESSAGE_ID);
    }
  });
});

describe.skipIf(!JOURNAL_REMOTE)('journald fields read back with journalctl -o json (journal file by systemd-journal-remote)', () => {
  it('keeps every field of every incident record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-journal-'));
    const recs = await incidentRecords();
    const text = recs.map((r, i) => `${journalEntryText(r)}__REALTIME_TIMESTAMP=${1_700_000_000_000_000 + i}\n\n`).join('');
    execFileSync(JOURNAL_REMOTE!, ['-o', join(dir, 'cw.journal'), '-'], { input: text, stdio: ['pipe', 'ignore', 'pipe'] });
    const back = execFileSync('journalctl', ['--file', join(dir, 'cw.journal'), '-o', 'json', '--no-pager'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(back).toHaveLength(recs.length);
    back.forEach((e, i) => {
      for (const [k, v] of journalFields(recs[i]!)) expect(e[k], k).toBe(v);
    });
    const rule = recs.find((r) => r.rule)!.rule!.id;
    const byId = execFileSync('journalctl', ['--file', join(dir, 'cw.journal'), '-o', 'json', '--no-pager', `MESSAGE_ID=${messageIdFor(rule)}`], { encoding: 'utf8' });
    expect(byId.split('\n').filter(Boolean).length).toBe(recs.filter((r) => r.rule?.id === rule).length);
  });
});

describe('journald fields through logger --journald into a real systemd-journald', () => {
  it.skipIf(whyNot !== undefined)(`reads the alerts back with journalctl -o json${whyNot ? ` (skipped: ${whyNot})` : ''}`, async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'cw-journald-'));
    const recs = await incidentRecords();
    writeFileSync(join(dir, 'recs.json'), JSON.stringify(recs));
    writeFileSync(
      join(dir, 'drive.mjs'),
      `import { readFileSync } from 'node:fs';
import { JournaldOutput } from ${JSON.stringify(join(ROOT, 'dist', 'agent', 'sinks', 'journald.js'))};
const out = new JournaldOutput({ log: (l, m) => console.error(m) });
for (const r of JSON.parse(readFileSync(process.argv[2], 'utf8'))) out.push(r);
await out.close();
console.error(JSON.stringify(out.stats()));
`,
    );
    // a journald of our own: /run and the persistent journal are tmpfs in this mount namespace only
    writeFileSync(
      join(dir, 'ns.sh'),
      `set -eu
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /run/log
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
"$1" & jd=$!
i=0; while [ ! -S /run/systemd/journal/socket ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
"$2" "$3/drive.mjs" "$3/recs.json"
journalctl -o json --no-pager SYSLOG_IDENTIFIER=connwatch > "$3/back.json"
kill $jd; wait $jd || true
`,
    );
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile('unshare', ['-m', '--propagation', 'private', 'bash', join(dir, 'ns.sh'), JOURNALD!, process.execPath, dir], { timeout: 60_000 }, (err, _o, e) => (err ? reject(new Error(`${err.message}\n${e}`)) : resolve(e)));
    });
    expect(stderr).toContain(`"sent":${recs.length}`);
    const back = readFileSync(join(dir, 'back.json'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(back).toHaveLength(recs.length);
    back.forEach((e, i) => {
      for (const [k, v] of journalFields(recs[i]!)) expect(e[k], k).toBe(v);
      expect(e._TRANSPORT).toBe('journal');
    });
  });
});
