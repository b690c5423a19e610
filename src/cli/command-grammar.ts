/**
 * The option grammar of the commands only commander parses (everything but get, put and getall,
 * which grammar.ts declares for both parsers): each command's operands and options as data, in
 * help order, with their checks, conversions, lists, defaults and whether they are mandatory or
 * hidden. Each command builds its commander options from its entry (commander-grammar.ts
 * withGrammar) and types what its action reads with OptionsOf (grammar.ts); shell completion
 * (commands/completion.ts) lists their options from here. A kms subcommand is `'kms NAME'`.
 * Kept apart from grammar.ts so that the quick path does not load it; nothing here imports
 * commander.
 */
import { DEFAULT_KEY } from '../config.js';
import { ACCOUNT_PLACEHOLDER } from '../core/policy/iam-policy.js';
import { parseEnvMapping } from '../core/process/exec-env.js';
import { IMPORT_FORMATS } from '../core/transfer/import-file.js';
import { parseContextPair, portArgProblem, versionArgProblem } from './arg-checks.js';
import { ALLOW_ENV, ALLOW_PARTIAL, CSV_SAFE, SKIP_UNREADABLE, type CommandGrammar, type OptionSpec } from './grammar.js';

/** The formats of `export -f`. */
export const EXPORT_FORMATS = ['json', 'yaml', 'csv', 'dotenv', 'shell', 'github-env', 'github-output', 'k8s-secret', 'docker', 'env-no-quotes'] as const;

const JSON_OPTION = (description: string) => ({ long: 'json', description }) as const satisfies OptionSpec;
const CONTEXT_PAIRS = { name: 'context', variadic: true, description: 'encryption context pairs key=value' } as const;
const ROWS_CONTEXT = { name: 'context', variadic: true, description: 'encryption context pairs key=value of the rows (default none)' } as const;
const KEY_ID = { name: 'key', required: true, description: 'key id, ARN or alias' } as const;
/** A repeatable `--context key=value`, kept as text (parseContext reads the list in the action). */
const CONTEXT_OPTION = { long: 'context', value: 'key=value', description: 'encryption context pair (repeatable)', repeatable: true, default: [] } as const satisfies OptionSpec;
const STRIP_PREFIX = {
  long: 'strip-prefix',
  value: 'prefix',
  description: 'remove this prefix from secret names before naming variables (repeatable; the longest match)',
  repeatable: true,
  default: [],
} as const satisfies OptionSpec;
const QUIET_OVERRIDES = { long: 'quiet-overrides', description: 'with --override, do not report overridden variables' } as const satisfies OptionSpec;
const ALL = { long: 'all', description: 'every secret' } as const satisfies OptionSpec;
const DRY_RUN_NAMES = { long: 'dry-run', description: 'only list added / changed / unchanged names (values masked)' } as const satisfies OptionSpec;
const NO_OPERANDS = [] as const;

export const COMMAND_GRAMMAR = {
  setup: {
    arguments: NO_OPERANDS,
    options: [
      { long: 'tags', value: 'pairs...', description: 'extra table tags key=value (DynamoDB only; refused with the local store)' },
      { long: 'provisioned', value: 'read,write', description: 'provisioned capacity instead of on-demand (DynamoDB only; refused with the local store)' },
      { long: 'pitr', description: 'enable point-in-time recovery (DynamoDB only; refused with the local store)' },
      { long: 'key', short: 'k', value: 'key', description: 'the default key to check or create', default: DEFAULT_KEY },
      {
        long: 'replica-region',
        value: 'region',
        description: 'AWS: make the table global and the key multi-region with a replica in REGION, or check (repeatable)',
        repeatable: true,
      },
    ],
  },
  list: { arguments: NO_OPERANDS, options: [JSON_OPTION('print a JSON array')] },
  keys: { arguments: NO_OPERANDS, options: [JSON_OPTION('print a JSON array')] },
  delete: {
    arguments: [{ name: 'name', required: true, description: 'secret name (exact; no patterns)' }],
    options: [{ long: 'version', short: 'v', value: 'version', description: 'delete only this version', problem: versionArgProblem }],
  },
  history: {
    arguments: [
      { name: 'name', required: true, description: 'secret name' },
      { name: 'context', variadic: true, description: 'encryption context pairs key=value (for --keys)' },
    ],
    options: [
      { long: 'keys', description: 'also show the KMS key that wrapped each version (one KMS call per version)' },
      JSON_OPTION('print a JSON array'),
    ],
  },
  rotate: {
    arguments: [{ name: 'selection', variadic: true, description: 'secret names or patterns (with *), then encryption context pairs key=value' }],
    options: [
      ALL,
      { long: 'key', short: 'k', value: 'key', description: 're-wrap: destination KMS key id, ARN or alias; with --reseal: the key of the new versions' },
      { long: 'reseal', description: 'write a new version of each secret with a fresh data key and the same value' },
      { long: 'all-versions', description: 're-wrap every version, not only the latest' },
      { long: 'dry-run', description: 'count what would change; write nothing' },
      JSON_OPTION('print the summary as JSON on stdout (also when rows failed)'),
    ],
  },
  verify: {
    arguments: [
      { name: 'pattern', description: 'secret name or pattern (with *); default every secret' },
      CONTEXT_PAIRS,
    ],
    options: [JSON_OPTION('print the report as JSON')],
  },
  migrate: {
    arguments: [ROWS_CONTEXT],
    options: [
      { long: 'from', value: 'backend', description: 'source: local, aws, local:TABLE or aws:TABLE', mandatory: true },
      { long: 'to', value: 'backend', description: 'destination: local, aws, local:TABLE or aws:TABLE', mandatory: true },
      { long: 'to-key', value: 'key', description: 'destination KMS key id, ARN or alias', default: DEFAULT_KEY },
      { long: 'dry-run', description: 'count what would be copied; write nothing' },
      JSON_OPTION('print the summary as JSON on stdout (also when rows failed)'),
    ],
  },
  replicate: {
    arguments: [ROWS_CONTEXT],
    options: [
      { long: 'to-region', value: 'region', description: 'destination region (its table: --to-table, default the same name)' },
      { long: 'to-table', value: 'table', description: 'destination table' },
      { long: 'to-data-dir', value: 'dir', description: 'destination: the local store and keyring of another data directory' },
      { long: 'rewrap-key', value: 'key', description: 'wrap each data key again under this destination key (default: copy the wrapped key as it is, right for a multi-region key)' },
      JSON_OPTION('print the summary as JSON on stdout'),
    ],
  },
  exec: {
    arguments: [{ name: 'selectors', variadic: true, description: 'secret names or globs (app.*), then -- and the command' }],
    options: [
      ALL,
      { long: 'env', short: 'e', value: 'VAR=name[@version]', description: 'map one secret to a variable (repeatable)', convert: (text: string) => parseEnvMapping(text), repeatable: true, default: [] },
      {
        long: 'file',
        value: 'VAR=name[@version]',
        description: 'write one secret to a private temporary file and set VAR to its path; removed when the command ends (repeatable)',
        convert: (text: string) => parseEnvMapping(text, '--file'),
        repeatable: true,
        default: [],
      },
      STRIP_PREFIX,
      { long: 'override', description: 'a secret chosen by a later selector (or --env/--file) wins a variable instead of an error; one stderr line per variable' },
      QUIET_OVERRIDES,
      { long: 'no-clobber', description: 'keep variables the environment already has (their secrets are left out)' },
      { long: 'strict', description: 'fail before starting if a glob matches no secret' },
      { ...ALLOW_ENV, description: 'let selected secrets set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)' },
      { long: 'pristine', description: 'pass only the secrets and PATH, not the rest of the environment' },
      { long: 'no-aws-env', description: "withhold the parent's AWS credential variables (AWS_ACCESS_KEY_ID, AWS_PROFILE, …) from the command" },
      {
        long: 'mask',
        description: "pass the command's stdout/stderr through keystash, replacing each injected value (4+ characters) with <concealed by keystash> (also KEYSTASH_MASK=1)",
      },
      CONTEXT_OPTION,
      {
        long: 'skip-unreadable',
        description: 'list the selected secrets that cannot be read (wrong context, refused key, tampered row) on stderr and exit 11 without starting the command',
      },
      { long: 'allow-partial', description: 'with --skip-unreadable, start the command without those secrets' },
    ],
  },
  export: {
    arguments: [{ name: 'selectors', variadic: true, description: 'secret names or globs (app.*)' }],
    options: [
      ALL,
      { long: 'strict', description: 'fail, writing nothing, if a glob matches no secret' },
      { long: 'format', short: 'f', value: 'format', description: 'output format', choices: EXPORT_FORMATS, mandatory: true },
      STRIP_PREFIX,
      { long: 'override', description: 'a secret chosen by a later selector wins a variable instead of an error; one stderr line per variable' },
      QUIET_OVERRIDES,
      { long: 'no-clobber', description: 'leave out secrets whose variable the environment already has' },
      { ...ALLOW_ENV, description: 'let secrets set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)' },
      { long: 'k8s-name', value: 'name', description: 'metadata.name of the k8s-secret manifest' },
      { long: 'k8s-namespace', value: 'namespace', description: 'metadata.namespace of the k8s-secret manifest' },
      { long: 'env-keys', description: 'k8s-secret: keys are variable names (the naming rule, --strip-prefix), for envFrom' },
      { long: 'mask', description: "github-env, github-output: also print '::add-mask::' lines on stdout (with -o FILE only)" },
      { long: 'output', short: 'o', value: 'file', description: "write to FILE (mode 0600; github-env/github-output append, e.g. -o \"$GITHUB_ENV\"); '-' for stdout" },
      CONTEXT_OPTION,
      CSV_SAFE,
      SKIP_UNREADABLE,
      ALLOW_PARTIAL,
    ],
  },
  import: {
    arguments: [{ name: 'file', required: true, description: "the file, or '-' for stdin" }, CONTEXT_PAIRS],
    options: [
      { long: 'format', value: 'format', description: 'file format (default: from the extension, else sniffed)', choices: IMPORT_FORMATS },
      { long: 'key', short: 'k', value: 'key', description: 'KMS key id, ARN or alias', default: DEFAULT_KEY },
      { long: 'comment', short: 'c', value: 'comment', description: 'comment stored beside every written version' },
      DRY_RUN_NAMES,
      JSON_OPTION('print the report as JSON'),
    ],
  },
  inject: {
    arguments: [{ name: 'context', variadic: true, description: 'encryption context pairs key=value, for every reference' }],
    options: [
      { long: 'in-file', short: 'i', value: 'template', description: "template file ('-' for stdin)", mandatory: true },
      { long: 'out-file', short: 'o', value: 'file', description: "write to FILE (mode 0600, replaced atomically) instead of stdout ('-' for stdout)" },
      { long: 'dry-run', description: 'list the references (line, name, version) and read no secret' },
    ],
  },
  putall: {
    arguments: [{ name: 'credentials', required: true, description: "a JSON object, '@FILE', or '-' for stdin" }, CONTEXT_PAIRS],
    options: [
      { long: 'key', short: 'k', value: 'key', description: 'KMS key id, ARN or alias', default: DEFAULT_KEY },
      { long: 'autoversion', short: 'a', description: 'choose the next version (the default; kept for credstash)' },
      DRY_RUN_NAMES,
      JSON_OPTION('print the report as JSON'),
    ],
  },
  backup: {
    arguments: NO_OPERANDS,
    options: [{ long: 'output', short: 'o', value: 'file', description: "write to FILE (mode 0600) instead of stdout ('-' for stdout)" }],
  },
  restore: {
    arguments: [
      { name: 'file', required: true, description: "the backup, or '-' for stdin" },
      { name: 'context', variadic: true, description: 'encryption context of the rows (for re-wrapping)' },
    ],
    options: [
      { long: 'rewrap-from', value: 'kms', description: "re-wrap data keys: decrypt with this key service (the backup's), encrypt with the configured one", choices: ['local', 'aws'] },
      { long: 'to-key', value: 'key', description: 'master key that wraps the re-wrapped data keys', default: DEFAULT_KEY },
      { long: 'create-table', description: 'create the destination table (or store file) first if it does not exist' },
      { long: 'allow-large', description: 'local store: take rows larger than any DynamoDB table could hold (400 KB items)' },
      JSON_OPTION('print the summary as JSON'),
    ],
  },
  completion: {
    arguments: [{ name: 'shell', required: true, description: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] }],
    options: [],
  },
  config: { arguments: NO_OPERANDS, options: [JSON_OPTION('print JSON')] },
  'iam-policy': {
    arguments: [{ name: 'role', required: true, description: 'reader, writer or admin', choices: ['reader', 'writer', 'admin'] }],
    options: [
      { long: 'key', short: 'k', value: 'key', description: 'KMS key id, ARN or alias (alias → kms:ResourceAliases condition)', default: DEFAULT_KEY },
      { long: 'account-id', value: 'id', description: 'AWS account id (the default is a placeholder to fill in)', default: ACCOUNT_PLACEHOLDER },
      { long: 'context', value: 'key=value', description: 'reader/writer: only secrets stored with this encryption context pair (repeatable)', repeatable: true, default: [] },
      { long: 'prefix', value: 'prefix', description: 'reader/writer: only secrets whose names start with PREFIX (no Scan: exact names only)' },
    ],
  },
  kms: { arguments: NO_OPERANDS, options: [] },
  'kms serve': {
    arguments: NO_OPERANDS,
    options: [
      { long: 'host', value: 'host', description: 'listen address', default: '127.0.0.1' },
      { long: 'port', value: 'port', description: 'port (0 = a free one)', problem: portArgProblem, convert: Number, default: 0 },
      { long: 'access-key-id', value: 'id', description: 'accepted access key id (KEYSTASH_KMS_ACCESS_KEY_ID)' },
      { long: 'secret-access-key-file', value: 'file', description: 'file holding its secret (else KEYSTASH_KMS_SECRET_ACCESS_KEY; never on the command line)' },
      // Refused when given (kms-serve.ts): the secret never travels on the command line.
      { long: 'secret-access-key', value: 'secret', description: '', hidden: true },
      { long: 'allow-remote', description: 'allow a non-loopback --host (needs --tls-cert and --tls-key)' },
      { long: 'tls-cert', value: 'file', description: 'serve HTTPS with this PEM certificate (chain)' },
      { long: 'tls-key', value: 'file', description: 'the PEM private key of --tls-cert' },
      { long: 'principals', value: 'file', description: 'principals file (0600): access keys with roles user/manager, key and context limits' },
    ],
  },
  'kms create-key': {
    arguments: NO_OPERANDS,
    options: [
      { long: 'alias', value: 'alias', description: 'alias/NAME' },
      { long: 'description', value: 'text', description: 'description' },
      { long: 'multi-region', description: 'a multi-region key (id mrk-…) that kms replicate-key can copy to another keyring' },
      JSON_OPTION('print JSON'),
    ],
  },
  'kms replicate-key': {
    arguments: [{ name: 'key', required: true, description: 'mrk- key id, ARN or alias' }],
    options: [
      { long: 'to', value: 'dir', description: 'data directory of the other keyring (created if absent)', mandatory: true },
      { long: 'replica-region', value: 'region', description: 'region named in the replica ARN', mandatory: true },
      JSON_OPTION('print JSON'),
    ],
  },
  'kms list': { arguments: NO_OPERANDS, options: [JSON_OPTION('print JSON')] },
  'kms describe': { arguments: [KEY_ID], options: [JSON_OPTION('print JSON')] },
  'kms alias': {
    arguments: [
      { name: 'alias', required: true, description: 'alias/NAME' },
      KEY_ID,
    ],
    options: [],
  },
  'kms enable': { arguments: [KEY_ID], options: [] },
  'kms disable': { arguments: [KEY_ID], options: [] },
  'kms seal': { arguments: NO_OPERANDS, options: [] },
  'kms unseal': { arguments: NO_OPERANDS, options: [] },
  'kms rotate': { arguments: [KEY_ID], options: [] },
  'kms audit': {
    arguments: NO_OPERANDS,
    options: [
      { long: 'since', value: 'time', description: 'only from this ISO date/time, or this long ago (30m, 12h, 7d)' },
      { long: 'key', value: 'key', description: 'only operations on this key (id, ARN or alias)' },
      JSON_OPTION('print the records as JSON Lines'),
      {
        long: 'verify',
        description: 'fail (exit 5) when a line is torn, not a record, breaks the hash chain, repeats an earlier record, or a file or the beginning is missing',
      },
      { long: 'prune-before', value: 'time', description: 'remove rotated files whose records are all older than this (ISO date/time or 30d); recorded in the log' },
    ],
  },
  'kms principals': {
    arguments: NO_OPERANDS,
    options: [
      {
        long: 'role',
        value: 'role',
        description: 'user (use keys) or manager (administer keys); both: --role user --role manager',
        // Not choices: commander's choices take one value, and the role is repeatable.
        problem: (text: string) => (text === 'user' || text === 'manager' ? undefined : 'Allowed choices are user, manager.'),
        convert: (text: string) => text as 'user' | 'manager',
        repeatable: true,
        mandatory: true,
      },
      { long: 'key', value: 'key', description: 'limit to this key id, ARN or alias (repeatable)', repeatable: true },
      { long: 'context', value: 'key=value', description: 'require this encryption-context pair on cryptographic calls (repeatable)', convert: parseContextPair, repeatable: true },
      { long: 'file', value: 'file', description: 'add the entry to this principals file (created 0600) instead of printing it' },
    ],
  },
} as const satisfies Record<string, CommandGrammar>;

export type GrammarCommand = keyof typeof COMMAND_GRAMMAR;
