/**
 * FreeRDP connection error codes (class 2, `ERRCONNECT_*`), as libfreerdp logs them
 * (`freerdp_set_last_error_ex ERRCONNECT_… [0x0002000D]`) and Remmina repeats them
 * (`libfreerdp returned code is 0002000D`).
 *
 * Names and codes: FreeRDP include/freerdp/error.h (2.0.0 … 3.x; HYBRID_REQUIRED_BY_SERVER is 3.x
 * only), official strings libfreerdp/core/errconnect.c, causes from the shared reference
 * signatures.md §E.3. A code is `(class << 16) | type`; class 2 = CONNECT, class 1 = ERRINFO (server
 * disconnect reasons, see errinfo below), class 0 = ERRBASE.
 *
 * Each entry says, in plain words, what happened (`meaning`), the failure family a rule can match
 * on (`family`), and the event kind the parsers emit for it (`kind`), so xfreerdp, the shadow server
 * and Remmina map the same code the same way.
 */
import type { EventKind } from '../event.js';

export type ErrconnectFamily =
  | 'config'
  | 'undefined'
  | 'dns'
  | 'connect'
  | 'mcs'
  | 'tls'
  | 'auth'
  | 'privileges'
  | 'cancelled'
  | 'negotiation'
  | 'transport'
  | 'password-expired'
  | 'nla'
  | 'kerberos'
  | 'account-disabled'
  | 'logon'
  | 'account-restricted'
  | 'account-locked'
  | 'account-expired'
  | 'credentials'
  | 'activation'
  | 'booting'
  | 'nla-required'
  | 'success';

export interface Errconnect {
  /** Full code, class included: 0x0002000D. */
  code: number;
  /** The code as FreeRDP prints it: "0x0002000D". */
  hex: string;
  name: string;
  /** FreeRDP's own string (freerdp_get_last_error_string). */
  official: string;
  /** What it means for the person at the keyboard. */
  meaning: string;
  family: ErrconnectFamily;
  kind: EventKind;
}

type Row = [type: number, name: string, official: string, meaning: string, family: ErrconnectFamily, kind: EventKind];

const ROWS: Row[] = [
  [0x01, 'PRE_CONNECT_FAILED', 'A configuration error prevented a connection to be established.', 'the client could not prepare the connection: a bad option or a channel plugin that failed to load', 'config', 'connect.failed'],
  [0x02, 'CONNECT_UNDEFINED', 'A undefined connection error occurred.', 'the connection failed for a reason FreeRDP does not name', 'undefined', 'connect.failed'],
  [0x03, 'POST_CONNECT_FAILED', 'The connection attempt was aborted due to post connect configuration errors.', 'the connection was made but the client could not set up the session (graphics, codecs such as H.264)', 'config', 'connect.failed'],
  [0x04, 'DNS_ERROR', 'The DNS entry could not be resolved.', 'the server name could not be resolved', 'dns', 'connect.failed'],
  [0x05, 'DNS_NAME_NOT_FOUND', 'The DNS host name was not found.', 'the server name does not exist in DNS', 'dns', 'connect.failed'],
  [0x06, 'CONNECT_FAILED', 'The connection failed.', 'the TCP connection to the server failed: refused, timed out or unreachable', 'connect', 'connect.failed'],
  [0x07, 'MCS_CONNECT_INITIAL_ERROR', 'The connection failed at initial MCS connect', 'the server rejected the initial RDP (MCS) request: settings or channels it does not accept', 'mcs', 'connect.failed'],
  [0x08, 'TLS_CONNECT_FAILED', 'The connection failed at TLS connect.', 'the TLS handshake failed: no common TLS version or cipher, or the certificate was refused', 'tls', 'tls.failed'],
  [0x09, 'AUTHENTICATION_FAILED', 'An authentication failure aborted the connection.', 'authentication (NLA/CredSSP) failed', 'auth', 'auth.failed'],
  [0x0a, 'INSUFFICIENT_PRIVILEGES', 'Insufficient privileges to establish a connection.', 'the account may not log on to this server by remote desktop', 'privileges', 'auth.failed'],
  [0x0b, 'CONNECT_CANCELLED', 'The connection was cancelled.', 'the connection was cancelled: usually the server certificate was not accepted, or a credentials dialog was closed', 'cancelled', 'connect.aborted'],
  [0x0c, 'SECURITY_NEGO_CONNECT_FAILED', 'The connection failed at negotiating security settings.', 'client and server found no security protocol (RDP, TLS, NLA) both accept', 'negotiation', 'nego.failed'],
  [0x0d, 'CONNECT_TRANSPORT_FAILED', 'The connection transport layer failed.', 'the connection broke during the connection sequence; against an NLA server this is often a wrong user name or password', 'transport', 'connect.failed'],
  [0x0e, 'PASSWORD_EXPIRED', 'The password has expired and must be changed.', 'the password has expired and must be changed', 'password-expired', 'auth.failed'],
  [0x0f, 'PASSWORD_CERTAINLY_EXPIRED', 'The password has certainly expired and must be changed.', 'the server ended TLS with an internal error during NLA: a guess that the password expired, but since 2018 usually a CredSSP version mismatch (update FreeRDP and restart every program using it)', 'nla', 'nla.failed'],
  [0x10, 'CLIENT_REVOKED', 'The client has been revoked.', 'the client (certificate or account) has been revoked', 'auth', 'auth.failed'],
  [0x11, 'KDC_UNREACHABLE', 'The KDC is unreachable.', 'the Kerberos KDC could not be reached', 'kerberos', 'nla.failed'],
  [0x12, 'ACCOUNT_DISABLED', 'The account is disabled.', 'the account is disabled', 'account-disabled', 'auth.failed'],
  [0x13, 'PASSWORD_MUST_CHANGE', 'The password must be changed.', 'the password must be changed before logging on', 'password-expired', 'auth.failed'],
  [0x14, 'LOGON_FAILURE', 'Logon failed.', 'logon failed: wrong user name, password or domain', 'logon', 'auth.failed'],
  [0x15, 'WRONG_PASSWORD', 'Wrong password supplied.', 'the password is wrong', 'logon', 'auth.failed'],
  [0x16, 'ACCESS_DENIED', 'Access denied.', 'access denied: the account may not log on through Remote Desktop Services', 'privileges', 'auth.failed'],
  [0x17, 'ACCOUNT_RESTRICTION', 'Account restriction.', 'an account restriction forbids this logon (for example a blank password)', 'account-restricted', 'auth.failed'],
  [0x18, 'ACCOUNT_LOCKED_OUT', 'Account locked out.', 'the account is locked out after too many failed logons', 'account-locked', 'auth.failed'],
  [0x19, 'ACCOUNT_EXPIRED', 'Account expired.', 'the account has expired', 'account-expired', 'auth.failed'],
  [0x1a, 'LOGON_TYPE_NOT_GRANTED', 'Logon type not granted.', 'the account is not granted remote (network) logon', 'privileges', 'auth.failed'],
  [0x1b, 'NO_OR_MISSING_CREDENTIALS', 'Credentials invalid or missing.', 'no credentials were given, or the credentials prompt was cancelled', 'credentials', 'auth.failed'],
  [0x1c, 'ACTIVATION_TIMEOUT', 'Timeout waiting for activation.', 'the server never finished activating the session', 'activation', 'connect.failed'],
  [0x1d, 'TARGET_BOOTING', 'Starting your VM. It may take up to 5 minutes.', 'the target virtual machine is still starting', 'booting', 'connect.failed'],
  [0x1e, 'HYBRID_REQUIRED_BY_SERVER', 'The server requires Network Level Authentication, but it is not enabled.', 'the server requires NLA but the client has NLA disabled', 'nla-required', 'nego.failed'],
];

const CONNECT_CLASS = 2 << 16;

export function hex8(code: number): string {
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export const ERRCONNECT: readonly Errconnect[] = ROWS.map(([type, name, official, meaning, family, kind]) => ({
  code: CONNECT_CLASS | type,
  hex: hex8(CONNECT_CLASS | type),
  name: `ERRCONNECT_${name}`,
  official,
  meaning,
  family,
  kind,
}));

const SUCCESS: Errconnect = {
  code: 0,
  hex: hex8(0),
  name: 'ERRCONNECT_SUCCESS',
  official: 'Success.',
  meaning: 'no error',
  family: 'success',
  kind: 'info',
};

const byName = new Map<string, Errconnect>(ERRCONNECT.map((e) => [e.name, e]));
const byCode = new Map<number, Errconnect>(ERRCONNECT.map((e) => [e.code, e]));
byName.set(SUCCESS.name, SUCCESS);
byCode.set(0, SUCCESS);

/** By name (`ERRCONNECT_LOGON_FAILURE`) or by code (0x00020014, also the class-less 0x14). */
export function errconnect(key: string | number): Errconnect | undefined {
  if (typeof key === 'string') return byName.get(key);
  return byCode.get(key) ?? (key > 0 && key < 0x10000 ? byCode.get(CONNECT_CLASS | key) : undefined);
}

/** Detail fields for an event about this code. */
export function errconnectDetail(e: Errconnect): { code: string; errconnect: string; meaning: string; family: string } {
  return { code: e.hex, errconnect: e.name, meaning: e.meaning, family: e.family };
}

/**
 * ERRINFO_* (class 1): the reason a server gave for ending a session. Only the common ones are named;
 * any other ERRINFO is still reported with its name as FreeRDP printed it.
 */
export const ERRINFO_MEANING: Readonly<Record<string, string>> = {
  ERRINFO_RPC_INITIATED_DISCONNECT: 'an administrator disconnected the session',
  ERRINFO_RPC_INITIATED_LOGOFF: 'an administrator logged the session off',
  ERRINFO_IDLE_TIMEOUT: 'the server idle-session time limit was reached',
  ERRINFO_LOGON_TIMEOUT: 'the server active-session time limit was reached',
  ERRINFO_DISCONNECTED_BY_OTHER_CONNECTION: 'another connection took over the session',
  ERRINFO_OUT_OF_MEMORY: 'the server ran out of memory',
  ERRINFO_SERVER_DENIED_CONNECTION: 'the server denied the connection',
  ERRINFO_SERVER_INSUFFICIENT_PRIVILEGES: 'the user may not connect to this server',
  ERRINFO_SERVER_FRESH_CREDENTIALS_REQUIRED: 'the server does not accept saved credentials',
  ERRINFO_RPC_INITIATED_DISCONNECT_BY_USER: 'the user disconnected the session from the server side',
  ERRINFO_LOGOFF_BY_USER: 'the user logged off',
};
