/**
 * A real rsyslog (Debian's rsyslogd 8.x) for the syslog forwarding tests: a foreground process
 * with its own config, pid file and work directory in a temporary directory, `imtcp` on a free
 * 127.0.0.1 port (octet-counted framing, RFC 5424 parsing: rsyslog's defaults), `mmpstrucdata`
 * taking the STRUCTURED-DATA apart, and every message as one JSON line in out.ndjson.
 * stop() and start() again keep the port, as a restarted receiver would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p));

export interface RsyslogMessage {
  host: string;
  app: string;
  procid: string;
  msgid: string;
  pri: string;
  msg: string;
  /** What mmpstrucdata made of the STRUCTURED-DATA: { "connwatch@32473": { rule: … } }. */
  'rfc5424-sd'?: Record<string, Record<string, string>>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class Rsyslog {
  readonly dir = mkdtempSync(join(tmpdir(), 'cw-rsyslog-'));
  readonly out = join(this.dir, 'out.ndjson');
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(readonly port: number) {
    mkdirSync(join(this.dir, 'work'));
    writeFileSync(
      join(this.dir, 'rsyslog.conf'),
      `global(workDirectory="${this.dir}/work" maxMessageSize="64k")
module(load="imtcp")
module(load="mmpstrucdata")
template(name="cwjson" type="list") { property(name="$!all-json") constant(value="\\n") }
ruleset(name="cw") {
  action(type="mmpstrucdata")
  set $!host = $hostname;
  set $!app = $app-name;
  set $!procid = $procid;
  set $!msgid = $msgid;
  set $!pri = $pri;
  set $!msg = $msg;
  action(type="omfile" file="${this.out}" template="cwjson")
}
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="cw")
`,
    );
  }

  static async start(): Promise<Rsyslog> {
    const r = new Rsyslog(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    if (!RSYSLOGD) throw new Error('rsyslogd is not installed (Debian package rsyslog)');
    this.stderr = '';
    const child = spawn(RSYSLOGD, ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const until = Date.now() + 15_000;
    while (!(await canConnect(this.port))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`rsyslogd did not start listening on ${this.port}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  messages(): RsyslogMessage[] {
    if (!existsSync(this.out)) return [];
    return readFileSync(this.out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RsyslogMessage);
  }

  async waitFor(n: number, timeoutMs = 20_000): Promise<RsyslogMessage[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages();
      if (m.length >= n || Date.now() > until) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get log(): string {
    return this.stderr;
  }
}
