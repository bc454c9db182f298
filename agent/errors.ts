/**
 * One error class for everything connwatch reports to a person: a stable code, a message that
 * says what and where, a hint that says what to do, and the original error as `cause`.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'RULE_INVALID'
  | 'RULE_FILE_UNREADABLE'
  | 'RULE_FILE_BAD_JSON'
  | 'SOURCE_UNREADABLE'
  | 'SOURCE_MISSING'
  | 'SOURCE_FAILED'
  | 'JOURNAL_FORBIDDEN'
  | 'PARSER_UNKNOWN'
  | 'NOTIFY_FAILED'
  | 'NOTIFY_UNAVAILABLE'
  | 'STATE_UNWRITABLE'
  | 'USAGE'
  | 'INSTALL_FAILED'
  | 'WRAP_FAILED'
  | 'INTERNAL';

export class ConnwatchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConnwatchError';
    this.code = code;
    this.hint = options.hint;
  }

  /** "message" + "\n  hint: …" for people; the code stays available for programs. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** Node system error codes (ENOENT, EACCES, …) without unsafe casts at every call site. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function messageOf(err: unknown): string {
  if (err instanceof ConnwatchError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
