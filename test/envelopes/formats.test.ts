/**
 * Every syslog envelope in use, on the literal lines of issue 18 (and the forms the issue names):
 * each is taken off, and the message reaches the sshd parser and gives the right event.
 */
import { describe, expect, it } from 'vitest';
import { parseJournal, parseJournalExport } from '../../agent/envelopes/journal.js';
import { parseSyslog } from '../../agent/envelopes/syslog.js';
import { LineRouter } from '../../agent/parsers/router.js';

const REF = Date.UTC(2026, 10, 21, 12);

function route(text: string): { kind: string; host?: string; user?: string; program: string; pattern?: string } {
  const router = new LineRouter();
  const [e] = router.route({ sourceId: 't', text, receivedAt: REF, position: { source: 't' } });
  return { kind: e!.kind, host: e!.host, user: e!.user, program: e!.program, pattern: e!.pattern };
}

describe('syslog envelopes in use', () => {
  const cases: Array<{ name: string; line: string; ident: string; hostname: string; pid?: number; time?: number; text: string }> = [
    {
      name: 'RFC 5424 with `-` for structured data',
      line: '<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - - Invalid user admin from 203.0.113.7 port 50122',
      ident: 'sshd',
      hostname: 'host',
      pid: 57915,
      time: Date.parse('2019-07-08T21:40:16.954Z'),
      text: 'Invalid user admin from 203.0.113.7 port 50122',
    },
    {
      name: 'RFC 5424 with structured data (a `]` escaped inside a value)',
      line: '<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [origin ip="10.0.0.1" x="a\\]b"][meta sequenceId="7"] Invalid user admin from 203.0.113.7 port 50122',
      ident: 'sshd',
      hostname: 'host',
      pid: 57915,
      text: 'Invalid user admin from 203.0.113.7 port 50122',
    },
    {
      name: 'Solaris message id',
      line: 'Nov 23 21:50:37 sol11 sshd[19558]: [ID 800047 auth.info] Accepted publickey for oracle from 192.168.1.10 port 53218 ssh2',
      ident: 'sshd',
      hostname: 'sol11',
      pid: 19558,
      text: 'Accepted publickey for oracle from 192.168.1.10 port 53218 ssh2',
    },
    {
      name: 'RFC 3164 without a hostname',
      line: 'Nov 23 21:50:37 sshd[8148]: error: Received disconnect from 203.0.113.7 port 4242:14: No supported authentication methods available [preauth]',
      ident: 'sshd',
      hostname: '',
      pid: 8148,
      text: 'error: Received disconnect from 203.0.113.7 port 4242:14: No supported authentication methods available [preauth]',
    },
    {
      name: 'RFC 3164 with a hostname',
      line: 'Nov 23 21:50:37 vm sshd[8148]: Connection closed by 203.0.113.7 port 4242 [preauth]',
      ident: 'sshd',
      hostname: 'vm',
      pid: 8148,
      text: 'Connection closed by 203.0.113.7 port 4242 [preauth]',
    },
    {
      name: 'RFC 3164 with its priority kept',
      line: '<38>Nov 23 21:50:37 vm sshd[8148]: Connection closed by 203.0.113.7 port 4242 [preauth]',
      ident: 'sshd',
      hostname: 'vm',
      pid: 8148,
      text: 'Connection closed by 203.0.113.7 port 4242 [preauth]',
    },
    {
      name: 'a bracketed tag',
      line: 'Nov 23 21:50:37 vm [sshd]: Did not receive identification string from 203.0.113.7 port 4242',
      ident: 'sshd',
      hostname: 'vm',
      text: 'Did not receive identification string from 203.0.113.7 port 4242',
    },
    {
      name: 'space-separated ISO time, numeric zone, two spaces',
      line: '2020-03-23 06:47:42.801612-0700  host sshd[3186]: Accepted password for jo from 198.51.100.2 port 50000 ssh2',
      ident: 'sshd',
      hostname: 'host',
      pid: 3186,
      time: Date.parse('2020-03-23T13:47:42.801Z'),
      text: 'Accepted password for jo from 198.51.100.2 port 50000 ssh2',
    },
    {
      name: 'rsyslog RFC 3339 with sshd-session (OpenSSH 9.8+)',
      line: '2026-11-21T13:32:07.000916+00:00 vm sshd-session[31957]: Accepted publickey for jo from 198.51.100.2 port 50000 ssh2: ED25519 SHA256:abc',
      ident: 'sshd-session',
      hostname: 'vm',
      pid: 31957,
      time: Date.parse('2026-11-21T13:32:07.000Z'),
      text: 'Accepted publickey for jo from 198.51.100.2 port 50000 ssh2: ED25519 SHA256:abc',
    },
    {
      name: 'sshd-auth (OpenSSH 10.x) in RFC 3164',
      line: 'Apr 10 08:00:01 vm sshd-auth[812]: Invalid user a b from 198.51.100.2 port 50000',
      ident: 'sshd-auth',
      hostname: 'vm',
      pid: 812,
      text: 'Invalid user a b from 198.51.100.2 port 50000',
    },
  ];
  for (const c of cases) {
    it(`takes off ${c.name}`, () => {
      const p = parseSyslog(c.line, REF);
      expect(p, c.line).toBeDefined();
      expect({ ident: p!.ident, hostname: p!.hostname, pid: p!.pid, text: p!.text }).toEqual({ ident: c.ident, hostname: c.hostname, pid: c.pid, text: c.text });
      if (c.time !== undefined) expect(p!.time).toBe(c.time);
      const e = route(c.line);
      expect(e.program).toBe('sshd');
      expect(e.kind).not.toBe('unknown');
    });
  }

  it('gives the right events through the router', () => {
    expect(route(cases[0]!.line)).toMatchObject({ kind: 'auth.invalid-user', host: '203.0.113.7', user: 'admin' });
    expect(route(cases[2]!.line)).toMatchObject({ kind: 'auth.success', host: '192.168.1.10', user: 'oracle' });
    expect(route(cases[3]!.line)).toMatchObject({ kind: 'auth.no-methods', host: '203.0.113.7' });
    expect(route(cases[6]!.line)).toMatchObject({ kind: 'version.failed', host: '203.0.113.7' });
    expect(route(cases[9]!.line)).toMatchObject({ kind: 'auth.invalid-user', host: '198.51.100.2', user: 'a b' });
  });

  it('leaves lines that are no envelope alone', () => {
    for (const l of ['<38>2 2019-07-08T17:40:16Z host sshd 1 - - m', '<x>1 2019 h a 1 - - m', 'Nov 23 21:50:37', 'Accepted publickey for jo from 1.2.3.4 port 5 ssh2']) {
      expect(parseSyslog(l, REF), l).toBeUndefined();
    }
  });
});

describe('journal', () => {
  it('reads `journalctl -o json` with sshd-session as identifier', () => {
    const j = parseJournal({ __REALTIME_TIMESTAMP: '1763731927000916', SYSLOG_IDENTIFIER: 'sshd-session', _PID: '31957', _HOSTNAME: 'vm', MESSAGE: 'Connection closed by 203.0.113.7 port 4242 [preauth]' });
    expect(j).toMatchObject({ ident: 'sshd-session', pid: 31957, hostname: 'vm', time: 1763731927000 });
  });

  it('reads `journalctl -o export`, text and binary fields', () => {
    const msg = Buffer.from('Invalid user \u0007bell from 203.0.113.7 port 1');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(msg.length));
    const data = Buffer.concat([
      Buffer.from('__CURSOR=s=1\n__REALTIME_TIMESTAMP=1763731927000916\n_PID=31957\nSYSLOG_IDENTIFIER=sshd\nMESSAGE=Connection closed by 203.0.113.7 port 4242 [preauth]\n\n'),
      Buffer.from('__CURSOR=s=2\nSYSLOG_IDENTIFIER=sshd-auth\nMESSAGE\n'),
      len,
      msg,
      Buffer.from('\n_PID=7\n'),
    ]);
    const entries = parseJournalExport(data);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ ident: 'sshd', pid: 31957, time: 1763731927000, text: 'Connection closed by 203.0.113.7 port 4242 [preauth]' });
    expect(entries[1]).toMatchObject({ ident: 'sshd-auth', pid: 7, text: msg.toString() });
  });
});
