/**
 * The only table of exit codes (docs/conventions.md §8). Start from credstash's 0 / 1 / 2; every other number
 * is a case scripts branch on. Numbers are never reused.
 */
import {
  CancelledError,
  ConfigError,
  DecryptError,
  IntegrityError,
  KeystashError,
  KmsError,
  PartialFailureError,
  SecretNotFoundError,
  SkippedUnreadableError,
  StoreError,
  UsageError,
  VersionConflictError,
  VersionExistsError,
} from '../errors.js';

export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug) or an error with no more specific code. */
  FAILURE: 1,
  /** Bad command line: unknown option, bad key=value, bad version, missing @file. */
  USAGE: 2,
  /** The secret or version does not exist. */
  NOT_FOUND: 3,
  /** put -v of a version that exists, or a failed --expect-version check. */
  VERSION_EXISTS: 4,
  /** A stored row failed its HMAC check, is malformed, or names an unknown digest. */
  INTEGRITY: 5,
  /** The key service refused to unwrap the data key: wrong or missing encryption context. */
  DECRYPT: 6,
  /** Key-service failure: key/alias not found, disabled, access denied, throttled, unreachable. */
  KMS: 7,
  /** Store failure: missing table, unreachable endpoint, corrupt or foreign store file. */
  STORE: 8,
  /** Unusable configuration or keyring (bad config file, unsafe keyring permissions, passphrase). */
  CONFIG: 9,
  /** A bulk command in which some items failed; nothing was printed to stdout. */
  PARTIAL: 10,
  /** --skip-unreadable without --allow-partial: the output was printed without the secrets listed on stderr. */
  SKIPPED: 11,
  /** Interrupted by the user (Ctrl-C at a prompt): 128 + SIGINT, as a shell reports it. */
  INTERRUPTED: 130,
  /** The reader of stdout went away (`keystash getall | head`): 128 + SIGPIPE, as a shell reports it. */
  BROKEN_PIPE: 141,
} as const;

/** Each code in a few words, for the `Exit codes:` line of `keystash --help` (README "Exit codes" says more). */
export const EXIT_SUMMARY = {
  OK: 'ok',
  FAILURE: 'failure',
  USAGE: 'usage',
  NOT_FOUND: 'not found',
  VERSION_EXISTS: 'version exists',
  INTEGRITY: 'integrity',
  DECRYPT: 'decrypt/context mismatch',
  KMS: 'KMS',
  STORE: 'store',
  CONFIG: 'configuration',
  PARTIAL: 'partial bulk failure',
  SKIPPED: 'unreadable secrets skipped',
  INTERRUPTED: 'interrupted',
  BROKEN_PIPE: 'stdout closed',
} as const satisfies Record<keyof typeof EXIT, string>;

/**
 * `Exit codes: 0 ok, 1 failure, …` from {@link EXIT} and {@link EXIT_SUMMARY}, in the table's
 * order, wrapped at `width` columns: the help cannot drift from the table.
 */
export function exitCodesHelp(width = 88): string {
  const items = (Object.keys(EXIT) as Array<keyof typeof EXIT>).map((name, i, all) => `${EXIT[name]} ${EXIT_SUMMARY[name]}${i === all.length - 1 ? '.' : ','}`);
  const lines: string[] = [];
  let line = 'Exit codes:';
  for (const item of items) {
    if (line.length + 1 + item.length > width) {
      lines.push(line);
      line = item;
    } else line = `${line} ${item}`;
  }
  return [...lines, line].join('\n');
}

const BY_CLASS: ReadonlyArray<readonly [new (...args: never[]) => KeystashError, number]> = [
  [UsageError, EXIT.USAGE],
  [SecretNotFoundError, EXIT.NOT_FOUND],
  [VersionExistsError, EXIT.VERSION_EXISTS],
  [VersionConflictError, EXIT.VERSION_EXISTS],
  [IntegrityError, EXIT.INTEGRITY],
  [DecryptError, EXIT.DECRYPT],
  [KmsError, EXIT.KMS],
  [StoreError, EXIT.STORE],
  [ConfigError, EXIT.CONFIG],
  [PartialFailureError, EXIT.PARTIAL],
  [SkippedUnreadableError, EXIT.SKIPPED],
  [CancelledError, EXIT.INTERRUPTED],
];

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  for (const [cls, code] of BY_CLASS) if (error instanceof cls) return code;
  return EXIT.FAILURE;
}
