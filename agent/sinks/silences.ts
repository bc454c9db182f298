/**
 * Silences: "silence this rule for this host for a day", chosen on a notification. A silenced
 * rule's stories for that host are not shown (the history keeps them) until the silence ends.
 * Kept in `silences.json` in the state directory (0600, written whole and renamed into place),
 * so a restart keeps them; ended silences are dropped when the file is next written.
 */
import { readFileSync } from 'node:fs';
import { writePrivateFile } from '../sources/state-file.js';

export interface Silence {
  rule: string;
  /** undefined: the rule for every host. */
  host?: string;
  /** ms since the epoch. */
  until: number;
}

export const SILENCE_MS = 24 * 3_600_000;

export class Silences {
  private items: Silence[] = [];

  constructor(
    private readonly file: string,
    private readonly log?: (message: string) => void,
  ) {
    this.items = this.read();
  }

  private read(): Silence[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const o = JSON.parse(text) as { v?: unknown; silences?: unknown };
      if (!Array.isArray(o.silences)) throw new Error('no "silences" list');
      return o.silences.filter(
        (s): s is Silence => typeof s === 'object' && s !== null && typeof (s as Silence).rule === 'string' && typeof (s as Silence).until === 'number',
      );
    } catch (err) {
      this.log?.(`${this.file}: not a silences file (${(err as Error).message}); starting with no silences`);
      return [];
    }
  }

  has(rule: string, host: string | undefined, now: number): boolean {
    return this.items.some((s) => s.rule === rule && (s.host === undefined || s.host === host) && s.until > now);
  }

  list(now = Date.now()): Silence[] {
    return this.items.filter((s) => s.until > now);
  }

  add(rule: string, host: string | undefined, until: number, now = Date.now()): void {
    this.items = this.list(now).filter((s) => !(s.rule === rule && s.host === host));
    this.items.push({ rule, ...(host !== undefined ? { host } : {}), until });
    this.write();
  }

  private write(): void {
    writePrivateFile(this.file, JSON.stringify({ v: 1, silences: this.items }, null, 1));
  }

}
