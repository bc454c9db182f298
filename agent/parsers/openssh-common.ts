/** What OpenSSH's server and client messages share: the names of its algorithm classes. */

/** OpenSSH names of algorithm classes (`key exchange method`, `host key type`, `cipher`, `MAC`, `compression method`) → detail.algClass. */
export function opensshAlgClass(what: string): string {
  const w = what.toLowerCase();
  if (w.startsWith('key exchange') || w.startsWith('kex')) return 'kex';
  if (w.startsWith('host key') || w.startsWith('hostkey')) return 'hostkey';
  if (w.startsWith('cipher')) return 'cipher';
  if (w.startsWith('mac')) return 'mac';
  if (w.startsWith('comp')) return 'compression';
  return 'other';
}

/** The level prefixes OpenSSH's log.c writes before a message on syslog (`error: `, `fatal: `, `debug1: `…). */
export const OPENSSH_LEVEL = /^(error|fatal|debug[1-3]): /;
