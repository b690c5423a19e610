/**
 * The environment `keystash exec` gives its child: selected secrets under variable names from
 * the one naming rule (src/format/varname.ts), plus explicit `VAR=name[@version]` mappings.
 * Pure selection and naming; spawning the child is src/cli/run-child.ts.
 */
import { missingOf, notFoundError, SecretNotFoundError, UsageError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { quoteName } from '../../format/types.js';
import { toVarName, toVarNames } from '../../format/varname.js';
import type { KeystashReader } from '../secrets/parts.js';
import { layerSecrets, type Override } from './layering.js';
import { readSelection, isEmptySelection, type SecretSelection } from '../secrets/select-secrets.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One `--env VAR=name[@version]` mapping. */
export interface EnvMapping {
  varName: string;
  name: string;
  version?: string | undefined;
}

export interface ExecEnvOptions extends SecretSelection {
  mappings?: readonly EnvMapping[] | undefined;
  /** `--file VAR=name[@version]`: secrets the caller writes to files, VAR then holding the path. */
  files?: readonly EnvMapping[] | undefined;
  stripPrefix?: string | readonly string[] | undefined;
  /** Dangerous variable names (varname.ts rule 6) that selected secrets may set anyway. */
  allowEnv?: readonly string[] | undefined;
  context?: EncryptionContext | undefined;
  /** A later selector (and any --env/--file mapping) wins a variable instead of a refusal (layering.ts). */
  override?: boolean | undefined;
  /** Leave out secrets whose variable `callerEnv` already has. */
  noClobber?: boolean | undefined;
  callerEnv?: Readonly<Record<string, string | undefined>> | undefined;
  /** Told of every variable decided by `override`, before anything is returned. */
  onOverride?: ((override: Override) => void) | undefined;
}

/** One variable of the child's environment and the secret it came from. */
export interface EnvEntry {
  varName: string;
  name: string;
  value: string;
  /** From `files`: the value belongs in a file whose path becomes the variable. */
  file?: true | undefined;
}

/**
 * Parse `VAR=name[@version]`. The version suffix is recognised only when it is all digits, so a
 * secret name may itself contain `@`.
 */
export function parseEnvMapping(text: string, flag = '--env'): EnvMapping {
  const eq = text.indexOf('=');
  // Neither refusal quotes the text: a value typed here by mistake (`-e SeCrEt`) may be the secret.
  if (eq <= 0 || eq === text.length - 1) throw new UsageError(`${flag} expects VAR=name[@version] (the text given is not shown, in case it is the secret)`);
  const varName = text.slice(0, eq);
  if (!VARIABLE_NAME.test(varName)) throw new UsageError(`${flag}: the variable name given (not shown, in case it is the secret) is not a valid environment variable name: letters, digits and _, not starting with a digit`);
  const target = text.slice(eq + 1);
  const match = /^(.+)@(\d+)$/.exec(target);
  return match ? { varName, name: match[1] ?? '', version: match[2] } : { varName, name: target };
}

/**
 * Resolve the variables for the child. Every error (missing exact name or mapping, a glob matching
 * nothing under `strict`, a name that cannot be a variable, two secrets on one variable) is thrown
 * before anything is returned, so the child is never started with a partial environment.
 */
export async function resolveExecEnv(keystash: Pick<KeystashReader, 'get' | 'getAll' | 'names'>, options: ExecEnvOptions): Promise<EnvEntry[]> {
  const files = options.files ?? [];
  const allMappings = [...(options.mappings ?? []), ...files];
  if (isEmptySelection(options) && allMappings.length === 0) {
    throw new UsageError('nothing selected: give secret names or patterns, --all, --env VAR=name or --file VAR=name');
  }
  const clobbered = (varName: string) => options.noClobber === true && options.callerEnv?.[varName] !== undefined;
  const mappings = allMappings.filter((m) => !clobbered(m.varName));
  // Every missing secret — selected names, strict globs and --env/--file mappings — in one error.
  const missing: Array<{ name: string; version?: string | undefined }> = [];
  const selected = isEmptySelection(options)
    ? []
    : await readSelection(keystash, { ...options, command: 'exec' }).catch((error: unknown) => {
        if (missingOf(error).length === 0) throw error;
        missing.push(...missingOf(error));
        return [] as Array<[string, string]>;
      });
  const flagOf = (m: EnvMapping) => (files.includes(m) ? '--file' : '--env');
  if (missing.length > 0) {
    const settled = await Promise.allSettled(mappings.map((m) => keystash.get(m.name, { version: m.version, context: options.context })));
    const unmapped = mappings.filter((_, i) => settled[i]?.status === 'rejected' && missingOf((settled[i] as PromiseRejectedResult).reason).length > 0);
    throw mappingNotFoundError(missing, unmapped, flagOf);
  }
  const layered = layerSecrets(selected, { selectors: options.selectors ?? [], stripPrefix: options.stripPrefix, override: options.override, noClobber: options.noClobber, callerEnv: options.callerEnv });
  let pairs = layered.pairs;
  // Told once the mappings' secrets are read: until then a mapping's name may be a value typed there.
  const mappingOverrides: Override[] = [];
  if (options.override) {
    // An explicit mapping is the last layer: it wins over a selected secret on its variable.
    const mapped = new Map(mappings.map((m) => [m.varName, m.name]));
    const names = pairs.map(([name]) => name);
    const vars = names.map((name) => toVarName(name, options.stripPrefix));
    const beaten = new Set<string>();
    vars.forEach((varName, i) => {
      const winner = mapped.get(varName);
      if (winner !== undefined) {
        beaten.add(names[i] ?? '');
        mappingOverrides.push({ varName, winner, losers: [names[i] ?? ''] });
      }
    });
    pairs = pairs.filter(([name]) => !beaten.has(name));
  }
  // Explicit --env mappings are the user's own choice of variable; selected names are checked.
  const varNames = toVarNames(
    pairs.map(([name]) => name),
    options.stripPrefix,
    options.allowEnv,
  );
  const entries: EnvEntry[] = pairs.map(([name, value], i) => ({ varName: varNames[i] ?? '', name, value }));
  // Who sets each variable, as the message names it: a selected secret by its (stored) name, a
  // mapping by its flag — its secret name is not shown: it is not yet known to exist (it may be a
  // value typed there).
  const owners = new Map(entries.map((e) => [e.varName, `secret ${quoteName(e.name)}`]));
  for (const mapping of mappings) {
    const other = owners.get(mapping.varName);
    if (other !== undefined) {
      throw new UsageError(`${other} and ${flagOf(mapping)} ${mapping.varName} would both set the environment variable ${mapping.varName}`);
    }
    owners.set(mapping.varName, `${flagOf(mapping)} ${mapping.varName}`);
  }
  const fileVars = new Set(files);
  const settled = await Promise.allSettled(
    mappings.map(async (m): Promise<EnvEntry> => {
      const value = await keystash.get(m.name, { version: m.version, context: options.context });
      return fileVars.has(m) ? { varName: m.varName, name: m.name, value, file: true } : { varName: m.varName, name: m.name, value };
    }),
  );
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  const unmapped = mappings.filter((_, i) => settled[i]?.status === 'rejected' && missingOf((settled[i] as PromiseRejectedResult).reason).length > 0);
  if (unmapped.length > 0 && unmapped.length === failed.length) throw mappingNotFoundError([], unmapped, flagOf);
  if (failed.length > 0) throw failed[0];
  const mapped = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  for (const entry of [...entries, ...mapped]) {
    if (entry.value.includes('\0') && !entry.file) throw new UsageError(`secret ${quoteName(entry.name)} cannot be an environment variable: its value contains a NUL character`);
  }
  // Told once the environment is settled: a refusal above says nothing of overrides that never happened.
  for (const o of [...layered.overrides, ...mappingOverrides]) options.onOverride?.(o);
  return [...entries, ...mapped];
}

/**
 * Never passed on: the keyring passphrase and the `kms serve` key pair would let the child unlock
 * every secret of the keyring, not only the ones selected for it (a nested keystash can be given
 * them explicitly).
 */
const WITHHELD: ReadonlySet<string> = new Set(['KEYSTASH_KMS_PASSPHRASE', 'KEYSTASH_KMS_ACCESS_KEY_ID', 'KEYSTASH_KMS_SECRET_ACCESS_KEY']);

/** Withheld as well with `--no-aws-env`: every way the AWS SDKs find credentials in the environment. */
const AWS_CREDENTIALS: ReadonlySet<string> = new Set([
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_CREDENTIAL_EXPIRATION',
  // The AWS SDK for Java's alternate names (EnvironmentVariableCredentialsProvider), the old EC2
  // tools' names, Bedrock's bearer token, and the SSO session and login cache the CLI v2 reads.
  'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'EC2_ACCESS_KEY', 'EC2_SECRET_KEY', 'AWS_BEARER_TOKEN_BEDROCK', 'AWS_SSO_SESSION', 'AWS_LOGIN_CACHE_DIRECTORY',
  'AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE',
  'AWS_ROLE_ARN', 'AWS_ROLE_SESSION_NAME', 'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
]);

interface ChildEnvironmentOptions {
  /** Pass only PATH from the parent, not the rest of its environment. */
  pristine?: boolean | undefined;
  /** Withhold the parent's AWS credential variables too (`--no-aws-env`). */
  withholdAws?: boolean | undefined;
}

/**
 * The child's environment: the parent's (or, `pristine`, only its PATH) without the withheld
 * variables, overlaid with the secrets.
 */
export function childEnvironment(parent: Readonly<Record<string, string | undefined>>, entries: readonly EnvEntry[], options: ChildEnvironmentOptions = {}): Record<string, string> {
  const env: Record<string, string> = {};
  if (options.pristine) {
    if (parent.PATH !== undefined) env.PATH = parent.PATH;
  } else {
    for (const [k, v] of Object.entries(parent)) {
      if (v !== undefined && !WITHHELD.has(k) && !(options.withholdAws && AWS_CREDENTIALS.has(k))) env[k] = v;
    }
  }
  for (const entry of entries) env[entry.varName] = entry.value;
  return env;
}

/**
 * Missing secrets of exec: the selected names as notFoundError words them, an --env/--file mapping
 * by its variable alone. The secret name of a mapping is not quoted: `--env PGPASSWORD=SeCrEt`
 * (a value where the name goes) would otherwise print the password. Exit code as any missing
 * secret (SecretNotFoundError, 3).
 */
function mappingNotFoundError(
  selected: ReadonlyArray<{ name: string; version?: string | undefined }>,
  unmapped: readonly EnvMapping[],
  flagOf: (m: EnvMapping) => string,
): SecretNotFoundError {
  const error = notFoundError([...selected, ...unmapped.map((m) => ({ name: m.name, version: m.version }))]);
  if (unmapped.length === 0) return error;
  const flags = [...new Set(unmapped.map(flagOf))];
  const mapped = unmapped.map((m) => `${flagOf(m)} ${m.varName}`);
  const why = `not shown: ${flags.join(' and ')} ${flags.length > 1 ? 'map' : 'maps'} a variable to a secret NAME, not a value`;
  const mappedText =
    mapped.length === 1 ? `${mapped[0]}: no secret by the name given (${why})` : `${mapped.join(', ')}: no secrets by the names given (${why})`;
  error.message = selected.length === 0 ? mappedText : `${selectedText(selected)}; ${mappedText}`;
  return error;
}

/** The selected missing secrets in notFoundError's words. */
function selectedText(selected: ReadonlyArray<{ name: string; version?: string | undefined }>): string {
  return notFoundError(selected).message.replace(/\.$/, '');
}
