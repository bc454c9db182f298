/**
 * The NDJSON alert stream: every fleet record as one JSON line in a file under the state
 * directory (default `alerts.ndjson`), for a collector's file input (Vector `file`, Fluent Bit
 * `tail`, Filebeat, Wazuh `localfile` with `log_format json`). The file rotates by rename
 * (alerts.ndjson → alerts.ndjson.1 → … .N) past `maxBytes`, as those inputs expect.
 *
 * push() only appends to a string; the lines are written together on the next turn of the event
 * loop (one write for a burst), or at once by flush().
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoCode, messageOf } from '../errors.js';
import type { FleetRecord } from './ecs.js';
import type { FleetOutput } from './fleet.js';

export interface StreamOptions {
  path: string;
  /** Rotate past this size. Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept. Default 3. */
  keep?: number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

export class StreamFile implements FleetOutput {
  readonly name = 'stream';
  private pending = '';
  private size: number;
  private scheduled: NodeJS.Immediate | undefined;
  private failing = false;
  written = 0;
  dropped = 0;

  constructor(private readonly o: StreamOptions) {
    mkdirSync(dirname(o.path), { recursive: true });
    try {
      this.size = statSync(o.path).size;
    } catch {
      this.size = 0;
    }
  }

  push(rec: FleetRecord, line = JSON.stringify(rec)): void {
    this.pending += line + '\n';
    if (this.pending.length > 1 << 20) this.flush();
    else if (!this.scheduled) {
      this.scheduled = setImmediate(() => this.flush());
      this.scheduled.unref();
    }
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    const lines = countLines(text);
    try {
      if (this.size > 0 && this.size + Buffer.byteLength(text) > (this.o.maxBytes ?? 10 << 20)) this.rotate();
      appendFileSync(this.o.path, text);
      this.size += Buffer.byteLength(text);
      this.written += lines;
      if (this.failing) this.o.log?.('warn', `alert stream ${this.o.path} is writable again`);
      this.failing = false;
    } catch (err) {
      this.dropped += lines;
      if (!this.failing) this.o.log?.('error', `alert stream ${this.o.path}: cannot write (${messageOf(err)}); ${lines} record(s) lost, more are counted until it works again`);
      this.failing = true;
    }
  }

  async close(): Promise<void> {
    this.flush();
  }

  private rotate(): void {
    const keep = this.o.keep ?? 3;
    rmSync(`${this.o.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.o.path}.${i}`, `${this.o.path}.${i + 1}`);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    renameSync(this.o.path, `${this.o.path}.1`);
    this.size = 0;
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
