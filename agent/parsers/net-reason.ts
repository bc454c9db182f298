/**
 * Why a network operation failed, from the system's error text (strerror, Winsock, getaddrinfo,
 * PuTTY's and FreeRDP's wording) → detail.reason. One list for every parser (plink, ssh, freerdp,
 * rdesktop): the union of the four copies they used to carry, which disagreed on `resolve`,
 * `Permission denied` and PuTTY's `Host does not exist` (replaying every capture and rendered
 * catalog message through the old and the new parsers gives the same reasons).
 */
const NET_REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/refused/i, 'refused'],
  [/timed out/i, 'timeout'],
  [/No route to host|Network is unreachable|Host is down|Host is unreachable/i, 'unreachable'],
  [
    /Host does not exist|Host not found|Name or service not known|Temporary failure in name resolution|No address associated|nodename nor servname|Name does not resolve|Non-recoverable failure in name resolution|No such host is known|could not resolve|unable to resolve/i,
    'dns',
  ],
  [/reset by peer|Broken pipe|Software caused connection abort/i, 'reset'],
  [/Cannot assign requested address|Address family not supported|Permission denied/i, 'local'],
];

export function netReason(text: string): string {
  for (const [re, reason] of NET_REASONS) if (re.test(text)) return reason;
  return 'other';
}
