/**
 * plink / PuTTY's questions before it trusts the server, as table rows (agent/parsers/table.ts):
 * the host-key blocks (unknown key, changed key, fingerprints, the answer or its absence in batch
 * mode) and the weak-crypto warnings. They keep the question-block state of plink-blocks.ts; the
 * rest of PuTTY's messages are in plink-table.ts, which puts these rows in their place in order.
 */
import { algClass, batchReason, ev, type State } from './plink-blocks.js';
import type { Row } from './table.js';

export const PLINK_HOSTKEY_ROWS: ReadonlyArray<Row<State>> = [
  // --- host keys ----------------------------------------------------------------------------
  {
    id: 'plink.hostkey.fingerprint-intro',
    re: /^Host key fingerprint is:$/,
    build: (_g, st) => {
      st.held = { draft: ev('hostkey.fingerprint', 'plink.hostkey.fingerprint-intro'), need: 'fingerprint' };
      return [];
    },
  },
  {
    id: 'plink.hostkey.other-types',
    re: /^Server also has (?<types>\S+) host keys?, but we don't know (?:any of them|it)$/,
    kind: 'hostkey.other-types',
    detail: (g) => ({ types: g.types! }),
  },
  {
    id: 'plink.hostkey.unknown',
    re: /^(?:The server's host key is not cached(?: in the registry)?\. You|The server's host key is not cached\. You have no guarantee|The host key is not cached for this server:)$/,
    build: (_g, st) => {
      st.block = 'hostkey-unknown';
      return ev('hostkey.unknown', 'plink.hostkey.unknown');
    },
  },
  {
    id: 'plink.hostkey.changed',
    re: /^WARNING - POTENTIAL SECURITY BREACH!$/,
    build: (_g, st) => {
      st.block = 'hostkey-changed';
      return ev('hostkey.changed', 'plink.hostkey.changed');
    },
  },
  { id: 'plink.hostkey.where', re: /^ {2}(?<host>\S+) \(port (?<port>\d{1,5})\)$/, kind: 'info', detail: { what: 'hostkey-host' } },
  {
    id: 'plink.hostkey.batch-abort',
    re: /^(?:FATAL ERROR: )?Cannot confirm a host key in batch mode$/,
    build: (_g, st, text) => batchReason(st, 'plink.hostkey.batch-abort', 'batch-hostkey', text),
  },
  {
    id: 'plink.hostkey.abandoned',
    re: /^Connection abandoned\.$/,
    build: (_g, st) => {
      // the question this abort answers: the open block, else the one whose prompt was just shown
      const q = st.block ?? st.asked;
      const reason = q === 'weakcrypto' ? 'weakcrypto-not-confirmed' : 'hostkey-not-confirmed';
      st.block = undefined;
      st.asked = undefined;
      st.abandoned = true;
      return ev('connect.aborted', 'plink.hostkey.abandoned', { detail: { reason } });
    },
  },
  {
    id: 'plink.hostkey.user-abort',
    re: /^(?:Disconnected: )?User aborted at (?<at>host key verification|.+)$/,
    build: (g, _st, text) => ev('connect.aborted', 'plink.hostkey.user-abort', { detail: { reason: g.at === 'host key verification' ? 'user-hostkey' : 'user', message: text } }),
  },
  { id: 'plink.hostkey.manual-mismatch', re: /^Host key did not appear in manually configured list$/, kind: 'hostkey.changed', detail: { reason: 'not-in-manual-list' } },
  // --- weak crypto --------------------------------------------------------------------------
  {
    id: 'plink.crypto.weak',
    re: /^The (?:first|(?<selected>.+?) selected for this session is) ?(?<what>.+?) (?:supported by the server|we have stored for this server)(?: is)?(?: (?<algorithm>\S+), which is below the configured(?: warning threshold\.)?)?$/,
    build: (g, st) => {
      st.block = 'weakcrypto';
      const d = ev('crypto.weak', 'plink.crypto.weak', { detail: { algClass: algClass(g.what!), what: g.what! } });
      if (g.algorithm) {
        d.detail!.algorithm = g.algorithm;
        return d;
      }
      st.held = { draft: d, need: 'weak-algorithm' };
      return [];
    },
  },
  {
    id: 'plink.crypto.weak-batch',
    re: /^(?:FATAL ERROR: )?Cannot confirm a weak crypto primitive in batch mode$/,
    build: (_g, st, text) => batchReason(st, 'plink.crypto.weak-batch', 'batch-weakcrypto', text),
  },
];
