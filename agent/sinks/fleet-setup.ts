/**
 * The fleet outputs of `connwatch run`, put together in one place so the agent only adds one
 * record sink: the NDJSON stream (always, STATE/alerts.ndjson), journald (under systemd), one
 * forwarder per `--forward` / `"forward"` URL, and the heartbeat over all of them.
 */
import { join } from 'node:path';
import type { HeartbeatFacts } from './ecs.js';
import { FleetSink, type FleetOutput } from './fleet.js';
import { createForwarder } from './forward-url.js';
import { Heartbeat, HEARTBEAT_INTERVAL_MS, type HeartbeatInput } from './heartbeat.js';
import { JournaldOutput, journaldWanted } from './journald.js';
import { StreamFile } from './stream.js';

export const STREAM_FILE = 'alerts.ndjson';

export interface FleetSetup {
  stateDir: string;
  forward: string[];
  heartbeatMs?: number;
  /** Default: when JOURNAL_STREAM says systemd runs the agent and the journal socket exists. */
  journald?: boolean;
  log: (level: 'warn' | 'error' | 'info', message: string) => void;
}

export class Fleet {
  readonly sink: FleetSink;
  private heartbeat: Heartbeat | undefined;

  constructor(private readonly s: FleetSetup) {
    const outputs: FleetOutput[] = [new StreamFile({ path: join(s.stateDir, STREAM_FILE), log: s.log })];
    if (s.journald ?? journaldWanted()) outputs.push(new JournaldOutput({ log: s.log }));
    // each URL once: the same one in config.json and on the command line is one receiver
    for (const url of new Set(s.forward)) outputs.push(createForwarder(url, { stateDir: s.stateDir, log: s.log }));
    this.sink = new FleetSink(outputs);
  }

  /** Names of the outputs, for the start-up log line. */
  describe(): string {
    return this.sink.outputs.map((o) => o.name).join(', ');
  }

  startHeartbeat(facts: HeartbeatInput): void {
    const ms = this.s.heartbeatMs ?? HEARTBEAT_INTERVAL_MS;
    if (ms <= 0) return;
    this.heartbeat = new Heartbeat(this.sink, facts, ms);
    this.heartbeat.start();
  }

  async close(): Promise<void> {
    this.heartbeat?.stop();
    await this.sink.close();
  }
}

/** Heartbeat facts from the agent's sources and counters. */
export function heartbeatFacts(
  sources: Array<{ sourceId: string; running: boolean }>,
  counts: Record<string, number>,
): Pick<HeartbeatFacts, 'sources' | 'counts'> {
  return { sources: sources.map((s) => ({ id: s.sourceId, state: s.running ? 'running' : 'stopped' })), counts };
}
