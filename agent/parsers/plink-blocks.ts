/**
 * plink's question blocks (agent/parsers/plink.ts): the state a parser keeps between lines, the
 * prompts that wait for an answer with no newline, and the text that only explains a question.
 */
import type { Detail, EventDraft, EventKind } from '../event.js';

export type Block = 'hostkey-unknown' | 'hostkey-changed' | 'weakcrypto' | 'logfile' | 'disconnect' | 'keyboard-interactive';

export interface State {
  block: Block | undefined;
  /** The block of the last question asked (kept after its prompt, for what an abort refers to). */
  asked: Block | undefined;
  /** Set by `Connection abandoned.`: the batch-mode FATAL line that follows is its reason, not a second abort. */
  abandoned: boolean;
  /** The host key fingerprint shown in the question block (SHA256 when shown), for the prompt's detail. */
  fingerprint: string | undefined;
  /** The session log file named by the log-file question. */
  logFile: string | undefined;
  /** A draft completed by the following line(s): fingerprint, weak algorithm, disconnect text. */
  held: { draft: EventDraft; need: 'fingerprint' | 'weak-algorithm' | 'disconnect-type' | 'disconnect-text' | 'open-reason' } | undefined;
}

export const ev = (kind: EventKind, pattern: string, extra: Partial<EventDraft> = {}): EventDraft => ({ kind, program: 'plink', pattern, ...extra });
export const info = (pattern: string, what: string, detail: Detail = {}): EventDraft => ev('info', pattern, { detail: { what, ...detail } });

/** Algorithm classes as plink names them → our detail.algClass. */
export function algClass(phrase: string): string {
  const p = phrase.toLowerCase();
  if (p.includes('key exchange') || p.includes('key-exchange')) return 'kex';
  if (p.includes('host key')) return 'hostkey';
  if (p.includes('cipher')) return 'cipher';
  if (p.includes('mac')) return 'mac';
  if (p.includes('compression')) return 'compression';
  return 'other';
}

/**
 * A batch-mode abort: plink prints `Connection abandoned.` and then `FATAL ERROR: Cannot confirm …
 * in batch mode` for one attempt. The first is the abort (connect.aborted, reported at once); the
 * FATAL line after it only says why (info), so one attempt is one failure.
 */
export function batchReason(st: State, pattern: string, reason: string, text: string): EventDraft {
  const fatal = text.startsWith('FATAL');
  if (st.abandoned) {
    st.abandoned = false;
    return info(pattern, 'batch-abort-reason', { reason, fatal });
  }
  return ev('connect.aborted', pattern, { detail: { reason, fatal } });
}

/** Prompts: waiting for input, no newline. `kind` names what is asked. */
export const PROMPTS: ReadonlyArray<{ id: string; re: RegExp; kind: (st: State) => EventKind }> = [
  { id: 'plink.prompt.store-key', re: /^Store key in cache\? \(y\/n[^)]*\) ?/, kind: () => 'prompt.hostkey' },
  { id: 'plink.prompt.update-key', re: /^Update cached key\? \(y\/n[^)]*\) ?/, kind: () => 'prompt.hostkey' },
  { id: 'plink.prompt.continue', re: /^Continue with connection\? \(y\/n[^)]*\) ?/, kind: (st) => (st.block === 'weakcrypto' ? 'prompt.weakcrypto' : 'prompt.hostkey') },
  { id: 'plink.prompt.logfile', re: /^Wipe the log file\? \([^)]*\) ?/, kind: () => 'prompt.other' },
  { id: 'plink.prompt.login', re: /^login as: /, kind: () => 'prompt.username' },
  { id: 'plink.prompt.password', re: /^[^\s@"]{1,200}@[^\s@"']{1,255}'s password: ?/, kind: () => 'prompt.password' },
  { id: 'plink.prompt.passphrase', re: /^Passphrase for key "[^"]*": ?/, kind: () => 'prompt.passphrase' },
  { id: 'plink.prompt.kbd-password', re: /^(?:Password|Verification code|OTP|One-time password)(?: for [^:]{1,200})?: ?$/, kind: () => 'prompt.password' },
];

/** Lines inside a question block (host key, weak crypto, log file) that only explain it. */
export const BLOCK_TEXT =
  /^(?: {2}\S+ \(port \d+\)| {2}\S+ \d+ \S+|.*\b(?:PuTTY|Plink|PSCP|PSFTP)'s\b.*|(?:The|This) (?:server|host|new|session).*|You (?:have no guarantee|can overwrite).*|If you .*|Return to cancel\..*|.* Pressing Return is the ONLY guaranteed|safe choice\.|cached (?:in the registry|for this server).*|have (?:no guarantee|actually connected).*|server administrator has changed.*|the host key, or you have actually connected to another|computer pretending to be the server\.|to be the server\.|think it is\.|you think it is\.|that the server is the computer you think it is\.|connection\.|cache and carry on connecting\.|the key to the cache, enter "n"\.|adding the key to the cache, enter "n"\.|the cache, enter "n"\.|(?:enter|Enter) ".*|enter "y" to update .*|or (?:just press|disable).*|append your session log to the end of it,|warning threshold\.|threshold\.|[a-z][\w.@-]*-[\w.@-]+, which is below the configured(?: warning threshold\.)?|(?:\S+ )?key fingerprint is:|The (?:first|host key) .*|This means that either the server administrator has changed|for this server:|you think it is\.|ssh-\S+ \d+ \S+|(?:ecdsa|rsa|dss|ed25519|ed448)\S* \d+ \S+)$/;
