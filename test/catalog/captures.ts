/**
 * The project's real captures, as the differential replay test and tools/catalog-replay.ts see
 * them: every log a program wrote under test/fixtures/ (and, for the measurement only, the shared
 * fixture set when it is present), without scripts, notes, configurations, keys and timing files.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { replayBuiltin } from '../rules/builtin/run.js';

/** Not logs: scripts, notes, configurations, keys, timing files, snapshots of files and of /proc taken around a run. */
const SKIP =
  /(\.(sh|md|py|pub|rc|duration|started_at|conf|timed|json|remmina|remmina\.after-update)|\/(sshd_config|known_hosts[^/]*|host_ca|SAM|moduli[^/]*|commands[^/]*|home-[^/]*|putty-s[^/]*|listeners-[^/]*|remmina_log_file\.[^/]*|maps-snapshots\.txt|proc-maps-[^/]*))$/;

export function captureFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (!SKIP.test(p) && statSync(p).size > 0) out.push(p);
    }
  };
  walk(root);
  return out;
}

export interface CaptureResult {
  file: string;
  lines: number;
  unknown: number;
  alerts: string[];
}

/** One capture replayed alone through the built-in rules: its alerts as `rule key host:port user`, sorted. */
export async function replayCapture(root: string, file: string): Promise<CaptureResult> {
  const { alerts, events } = await replayBuiltin([file]);
  const lines = new Set<string>();
  const unknownLines = new Set<string>();
  for (const e of events) {
    const at = `${e.raw.source}:${e.raw.line ?? ''}`;
    lines.add(at);
    if (e.kind === 'unknown') unknownLines.add(at);
  }
  return {
    file: relative(root, file),
    lines: lines.size,
    unknown: unknownLines.size,
    alerts: alerts.map((a) => `${a.rule} ${a.key} ${a.host ?? '-'}:${a.port ?? '-'} ${a.user ?? '-'}`).sort(),
  };
}
