/**
 * keystash's error hierarchy. Every error a user can cause or meet carries a stable `code`
 * and a message written for people that names the fix. Messages never contain a secret value.
 * The CLI maps classes to exit codes in one place (src/cli/exit-codes.ts).
 */

/**
 * Every code a KeystashError may carry, declared once: a code is a value of {@link ErrorCode}, so
 * a misspelt code fails `tsc`. Codes are stable (scripts and `--json` output read them); code
 * decides by class (`instanceof`) or by the predicates below, never by comparing code text
 * elsewhere (test/unit/architecture.test.ts).
 */
export const ERROR_CODES = [
  'keystash.error', 'usage', 'internal', 'cancelled', 'output.write', 'exec.childExit',
  'secret.notFound', 'secret.noMatch', 'secret.versionExists', 'secret.versionConflict', 'secret.integrity',
  'kms.error', 'kms.decrypt', 'kms.notFound', 'kms.disabled', 'kms.accessDenied', 'kms.keyNotAllowed',
  'kms.validation', 'kms.aliasExists', 'kms.credentials', 'kms.unreachable', 'kms.timeout', 'kms.notKms',
  'kms.keyringLocked', 'kms.throttled', 'kms.audit',
  'store.error', 'store.tableMissing', 'store.missing', 'store.itemTooLarge', 'store.accessDenied',
  'store.notKeystash', 'store.notDynamoDb', 'store.newerSchema', 'store.corrupt', 'store.cantOpen',
  'store.permission', 'store.readOnly', 'store.busy', 'store.diskFull', 'store.ioError', 'store.tableBusy',
  'store.setupTimeout', 'store.throttled', 'store.timeout', 'store.unreachable',
  'store.credentialsMissing', 'store.credentialsExpired', 'store.credentialsRejected',
  'config.error', 'config.noKeyring', 'config.keyNotInKeyring', 'config.keyringNotSealed', 'config.noSqlite',
  'config.notConvertible', 'config.principals', 'config.unsafePath',
  'region.homeDown',
  'bulk.partialFailure', 'bulk.skipped',
  'rotate.contended', 'migrate.conflict', 'replicate.diverged',
  'restore.conflict', 'restore.changed', 'restore.cannotUnwrap',
] as const;

/** A stable error code (see {@link ERROR_CODES}). */
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface KeystashErrorOptions {
  code?: ErrorCode;
  cause?: unknown;
}

/** Base class of every expected keystash failure. */
export class KeystashError extends Error {
  readonly code: ErrorCode;
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'keystash.error';
  }
}

/** Bad command-line input or bad arguments to a library call. */
export class UsageError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'usage', ...options });
  }
}

/**
 * Whether a version may be quoted in a message: only all digits. A reader may give a 19+ character
 * stored form (credstash rows with non-integer versions), which may as well be a password typed
 * after -v; such a version is described, never quoted.
 */
export function versionShown(version: string): boolean {
  return /^\d+$/.test(version);
}


/** The named secret (or the requested version of it) does not exist. */
export class SecretNotFoundError extends KeystashError {
  readonly secretName: string;
  readonly version: string | undefined;
  constructor(name: string, version?: string, options: KeystashErrorOptions = {}) {
    // docs/format.md §3.9 wording; a version that is not all digits is not quoted (versionShown).
    const item = version === undefined ? `{'name': '${name}'}` : versionShown(version) ? `{'name': '${name}', 'version': '${version}'}` : `{'name': '${name}'} at the version given (not shown, in case it is the secret)`;
    super(`Item ${item} couldn't be found.`, { code: 'secret.notFound', ...options });
    this.secretName = name;
    this.version = version;
  }
}

/** A glob that matched no secret where one was required (`--strict`); exits like a missing secret. */
export class NoMatchError extends SecretNotFoundError {
  constructor(pattern: string) {
    super(pattern, undefined, { code: 'secret.noMatch' });
    this.message = `no secret matches '${pattern}' (--strict)`;
  }
}

/**
 * Several named secrets (or globs under --strict) do not exist: one error naming all of them,
 * the same from exec, export and inject (exit 3, as one missing name).
 */
export class SecretsNotFoundError extends SecretNotFoundError {
  readonly missing: ReadonlyArray<{ name: string; version?: string | undefined }>;
  constructor(missing: ReadonlyArray<{ name: string; version?: string | undefined }>, options: KeystashErrorOptions = {}) {
    super(missing[0]?.name ?? '', missing[0]?.version, options);
    this.missing = missing;
    const shown = missing.map((m) => (m.version === undefined ? `'${m.name}'` : versionShown(m.version) ? `'${m.name}' version ${m.version}` : `'${m.name}' at the version given (not shown, in case it is the secret)`));
    this.message = `${missing.length} secrets could not be found: ${shown.join(', ')}`;
  }
}

/**
 * One SecretNotFoundError (credstash's wording) for one missing secret, NoMatchError for one glob
 * that matched nothing under --strict, SecretsNotFoundError for several.
 */
export function notFoundError(missing: ReadonlyArray<{ name: string; version?: string | undefined }>, options: KeystashErrorOptions = {}): SecretNotFoundError {
  const unique = [...new Map(missing.map((m) => [`${m.name}\0${m.version ?? ''}`, m])).values()];
  const [only] = unique;
  if (unique.length === 1 && only!.version === undefined && only!.name.includes('*')) return new NoMatchError(only!.name); // a glob under --strict
  return unique.length === 1 ? new SecretNotFoundError(only!.name, only!.version, options) : new SecretsNotFoundError(unique, options);
}

/** The missing secrets an error names (one, several, or none when it is another error). */
export function missingOf(error: unknown): ReadonlyArray<{ name: string; version?: string | undefined }> {
  if (error instanceof SecretsNotFoundError) return error.missing;
  if (error instanceof SecretNotFoundError) return [{ name: error.secretName, version: error.version }];
  return [];
}

/** A conditional put found the version already stored (never overwritten). */
export class VersionExistsError extends KeystashError {
  readonly secretName: string;
  readonly version: string;
  constructor(name: string, version: string, options: KeystashErrorOptions = {}) {
    super(`${name} version ${version} is already in the credential store. Use the -v flag to specify a new version, or omit it to pick the next one.`, {
      code: 'secret.versionExists',
      ...options,
    });
    this.secretName = name;
    this.version = version;
  }
}

/** A check-and-set put (`--expect-version`) found a different latest version. */
export class VersionConflictError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'secret.versionConflict', ...options });
  }
}

/**
 * A stored row failed authentication or cannot be opened: HMAC mismatch, truncated or malformed
 * fields, an unknown digest. docs/format.md §2.5.
 */
export class IntegrityError extends KeystashError {
  constructor(message = 'INTEGRITY ERROR: Computed HMAC on %s does not match stored HMAC', options: KeystashErrorOptions = {}) {
    super(message, { code: 'secret.integrity', ...options });
  }
}

/**
 * The key service could not unwrap a data key with the given encryption context
 * (KMS InvalidCiphertextException: wrong or missing context, or a corrupt wrapped key).
 */
export class DecryptError extends KeystashError {
  constructor(
    message = 'KMS ERROR: Could not decrypt hmac key with KMS. The encryption context provided may not match the one used when the credential was stored.',
    options: KeystashErrorOptions = {},
  ) {
    super(message, { code: 'kms.decrypt', ...options });
  }
}

/** Any other key-service failure: key or alias not found, key disabled, access denied, throttling. */
export class KmsError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'kms.error', ...options });
  }
}

/**
 * The AWS KMS exception name of a KmsError code a key service gives, where KMS has one: what
 * `kms serve` answers and what the audit log records (one table for both).
 */
const KMS_EXCEPTION_NAMES: Readonly<Partial<Record<ErrorCode, string>>> = {
  'kms.notFound': 'NotFoundException',
  'kms.disabled': 'DisabledException',
  'kms.aliasExists': 'AlreadyExistsException',
  'kms.validation': 'ValidationException',
  'kms.accessDenied': 'AccessDeniedException',
};

/** {@link KMS_EXCEPTION_NAMES} for `error`, or undefined. */
export function kmsExceptionName(error: KmsError): string | undefined {
  return KMS_EXCEPTION_NAMES[error.code];
}

/** Storage backend failure: missing table, unreachable endpoint, corrupt file, access denied. */
export class StoreError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'store.error', ...options });
  }
}

/**
 * The store's table does not exist (a backend whose storage must be created first, e.g. a DynamoDB
 * table): core tells it from other store failures by its class, never by its code's text.
 */
export class TableMissingError extends StoreError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { ...options, code: 'store.tableMissing' });
  }
}

/** Configuration that cannot be used (bad config file, unknown backend, unsafe keyring mode). */
export class ConfigError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'config.error', ...options });
  }
}

/**
 * A stored row's data key names a local KMS key (or backing key) the keyring does not hold: the
 * keyring was lost or replaced (store restored without keyring.json). `code` is
 * 'config.noKeyring' when there is no keyring file at all (every row fails the same way: a set-up
 * error) and 'config.keyNotInKeyring' when the keyring exists but lacks this row's key (one row).
 */
export class KeyNotInKeyringError extends ConfigError {
  constructor(message: string, options: KeystashErrorOptions & { code: 'config.noKeyring' | 'config.keyNotInKeyring' }) {
    super(message, options);
  }
}

/** A bulk operation in which some items failed; carries a safe per-item report. */
export class PartialFailureError extends KeystashError {
  readonly failures: ReadonlyArray<{ name: string; error: KeystashError }>;
  constructor(message: string, failures: ReadonlyArray<{ name: string; error: KeystashError }>, options: KeystashErrorOptions = {}) {
    super(message, { code: 'bulk.partialFailure', ...options });
    this.failures = failures;
  }
}

/**
 * True when `error` is a KeystashError carrying one of `codes`: the one way to branch on a code
 * where the class alone does not say enough (typed, so a misspelt code fails `tsc`).
 */
export function hasErrorCode(error: unknown, codes: readonly ErrorCode[]): boolean {
  return error instanceof KeystashError && codes.includes(error.code);
}

/**
 * Codes of KmsErrors about the key service itself (credentials, reachability, a locked keyring,
 * throttling after retries, the audit log) rather than about the key or context of one row.
 */
const SETUP_KMS_CODES: readonly ErrorCode[] = ['kms.credentials', 'kms.unreachable', 'kms.timeout', 'kms.notKms', 'kms.keyringLocked', 'kms.throttled', 'kms.audit'];

/**
 * Codes of StoreErrors about one row or one name rather than the store: a policy limited to a
 * name prefix denies single names (iam-policy --prefix), and a value may be too large.
 */
const ROW_STORE_CODES: readonly ErrorCode[] = ['store.accessDenied', 'store.itemTooLarge'];

/**
 * True when `error` is not about one row but about the set-up every row needs (configuration,
 * keyring, passphrase, credentials, a missing table or store, an unreachable endpoint): the one
 * place errors are classified as per-row or set-up. A bulk command stops at the first such error
 * and reports it once, with its own exit code, instead of once per row as a partial failure.
 */
export function isSetupError(error: unknown): boolean {
  if (error instanceof KeyNotInKeyringError) return hasErrorCode(error, ['config.noKeyring']);
  if (error instanceof ConfigError) return true;
  if (error instanceof StoreError) return !hasErrorCode(error, ROW_STORE_CODES);
  if (error instanceof KmsError) return hasErrorCode(error, SETUP_KMS_CODES);
  return false;
}

/**
 * `--skip-unreadable`: the output holds what could be read and these secrets were left out
 * (its own exit code, so a script sees it; `--allow-partial` makes it a warning).
 */
export class SkippedUnreadableError extends KeystashError {
  readonly skipped: readonly string[];
  constructor(message: string, skipped: readonly string[], options: KeystashErrorOptions = {}) {
    super(message, { code: 'bulk.skipped', ...options });
    this.skipped = skipped;
  }
}

/** The user interrupted an interactive step (Ctrl-C at a prompt). */
export class CancelledError extends KeystashError {
  constructor(message = 'cancelled', options: KeystashErrorOptions = {}) {
    super(message, { code: 'cancelled', ...options });
  }
}

/**
 * Standard output (or error) could not take what keystash wrote: a full disk, an I/O error. The
 * output is incomplete, so the command fails (exit 1) instead of reporting success.
 */
export class OutputError extends KeystashError {
  constructor(stream: 'standard output' | 'standard error', cause: NodeJS.ErrnoException) {
    super(`cannot write to ${stream}: ${describeErrno(cause)}; the output is incomplete`, { code: 'output.write', cause });
  }
}

function describeErrno(error: NodeJS.ErrnoException): string {
  const known: Record<string, string> = { ENOSPC: 'no space left on device', EIO: 'input/output error', EDQUOT: 'disk quota exceeded', EFBIG: 'file too large', EBADF: 'it is closed' };
  const code = error.code ?? 'error';
  return Object.hasOwn(known, code) ? `${known[code]} (${code})` : code;
}

/** A bug in keystash: printed with a stack trace. */
export class InternalError extends KeystashError {
  constructor(message: string, options: KeystashErrorOptions = {}) {
    super(message, { code: 'internal', ...options });
  }
}

/**
 * Thrown by `exec` to make keystash exit with `status` (cli/report.ts): silently for a child's own
 * status, with `message` on stderr when the child could not start (127 not found, 126 not
 * executable).
 */
export class ChildExit extends KeystashError {
  readonly status: number;
  readonly silent: boolean;
  constructor(status: number, message?: string) {
    super(message ?? `the command exited with status ${status}`, { code: 'exec.childExit' });
    this.status = status;
    this.silent = message === undefined;
  }
}
