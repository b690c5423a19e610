/**
 * Configuration resolved once: flags > environment > config file > defaults (docs/conventions.md §10).
 * The result is a frozen Config that also records where each setting came from, so
 * `keystash config` can explain it. The only module besides src/cli/ that reads the environment
 * (it receives `env` as a parameter; it never touches `process`).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, UsageError } from './errors.js';
import { DEFAULT_KEY, DEFAULT_TABLE } from './defaults.js';

export type Backend = 'local' | 'aws';
export type StoreKind = 'sqlite' | 'dynamodb';
export type KmsKind = 'local' | 'aws';
export type Source = 'flag' | 'env' | 'config' | 'default';

/** credstash's default table (docs/format.md §1.1). */
export { DEFAULT_KEY, DEFAULT_TABLE };
const DEFAULT_CONCURRENCY = 16;
/** Overall deadline of one command's AWS requests, in seconds (docs/architecture.md "Timeouts"). */
const DEFAULT_TIMEOUT_SECONDS = 60;

export interface Config {
  readonly backend: Backend;
  readonly store: StoreKind;
  readonly kms: KmsKind;
  readonly table: string;
  readonly dataDir: string;
  readonly storePath: string;
  readonly keyringPath: string;
  readonly configFile: string;
  readonly region: string;
  readonly kmsRegion: string;
  readonly profile: string | undefined;
  readonly roleArn: string | undefined;
  readonly dynamodbEndpoint: string | undefined;
  readonly kmsEndpoint: string | undefined;
  readonly concurrency: number;
  /** AWS KMS only: the keys allowed to unwrap data keys (undefined = any, as credstash). */
  readonly decryptKeys: readonly string[] | undefined;
  /** Overall deadline of one command's AWS requests (seconds): --timeout, KEYSTASH_TIMEOUT, `timeout`. */
  readonly timeout: number;
  /** Set when KEYSTASH_KMS_PASSPHRASE is; never printed. */
  readonly kmsPassphrase: string | undefined;
  /**
   * Multi-region (README "Multi-region"): `[home, fallback…]`; `[region]` when not configured.
   * --regions, KEYSTASH_REGIONS (comma-separated), `regions` of the config file.
   */
  readonly regions: readonly string[];
  /**
   * Endpoints per region (tests, private endpoints): KEYSTASH_DYNAMODB_ENDPOINT_<REGION> and
   * KEYSTASH_KMS_ENDPOINT_<REGION> (REGION upper-case, '-' as '_'), or `endpoints` of the file.
   */
  readonly regionEndpoints: Readonly<Record<string, RegionEndpoints>>;
  /** Writes may fall back to another region when the home region is out (--any-region). */
  readonly anyRegion: boolean;
  readonly sources: Readonly<Record<string, Source>>;
}

/** The endpoints of one region (undefined: the SDK's default for that region). */
export interface RegionEndpoints {
  readonly dynamodb?: string | undefined;
  readonly kms?: string | undefined;
}

/** Global flags as commander parsed them (undefined = not given). */
export interface ConfigFlags {
  backend?: string | undefined;
  store?: string | undefined;
  kms?: string | undefined;
  table?: string | undefined;
  dataDir?: string | undefined;
  region?: string | undefined;
  kmsRegion?: string | undefined;
  profile?: string | undefined;
  roleArn?: string | undefined;
  endpointUrl?: string | undefined;
  concurrency?: string | number | undefined;
  /** `--decrypt-key`, repeatable. */
  decryptKey?: readonly string[] | undefined;
  timeout?: string | number | undefined;
  /** `--regions home,fallback…`. */
  regions?: string | undefined;
  anyRegion?: boolean | undefined;
  /** `--debug` (not a setting: more detail in messages, e.g. why a region fallback happened). */
  debug?: boolean | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;
type FileConfig = Record<string, unknown>;

/** Where the config file lives: KEYSTASH_CONFIG, else $XDG_CONFIG_HOME/keystash/config.json. */
function configFilePath(env: Env): string {
  if (env.KEYSTASH_CONFIG) return env.KEYSTASH_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'keystash', 'config.json');
}

/** The data directory: --data-dir, else KEYSTASH_HOME, else $XDG_DATA_HOME/keystash. */
function dataDirOf(flags: ConfigFlags, env: Env, file: FileConfig, configFile: string): [string, Source] {
  if (flags.dataDir) return [withHome(flags.dataDir, env, '--data-dir', UsageError), 'flag'];
  if (env.KEYSTASH_HOME) return [withHome(env.KEYSTASH_HOME, env, 'KEYSTASH_HOME', ConfigError), 'env'];
  if (typeof file.dataDir === 'string') return [withHome(file.dataDir, env, `config file ${configFile}: dataDir`, ConfigError), 'config'];
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return [join(base, 'keystash'), 'default'];
}

/**
 * A leading `~` the shell did not expand (a config file, a quoted `KEYSTASH_HOME='~/ks'`) means
 * the home directory, as the shell would have it; never a directory named `~` under the current
 * one. `~user` (another user's home) is refused rather than guessed.
 */
function withHome(dir: string, env: Env, what: string, Err: typeof ConfigError | typeof UsageError): string {
  if (dir === '~' || dir.startsWith('~/')) return join(env.HOME || homedir(), dir.slice(1));
  if (dir.startsWith('~')) throw new Err(`${what} '${dir}': '~user' is not expanded; give the directory's full path`);
  return dir;
}

function readConfigFile(path: string, named: boolean): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // The default location may well not exist; a file named by KEYSTASH_CONFIG must (a typo there
    // would otherwise silently fall back to the defaults — the local backend, say).
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !named) return {};
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError(`config file ${path} (KEYSTASH_CONFIG) does not exist`);
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    checkFileKeys(parsed as FileConfig);
    return parsed as FileConfig;
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid: ${(error as Error).message}`);
  }
}

/** The keys a config file may hold (README, Configuration); all strings, `concurrency` also a number. */
const FILE_KEYS = ['backend', 'store', 'kms', 'table', 'dataDir', 'region', 'kmsRegion', 'profile', 'roleArn', 'dynamodbEndpoint', 'kmsEndpoint', 'concurrency', 'decryptKeys', 'timeout', 'regions', 'endpoints'];

/** A misspelt key or a value of the wrong type would otherwise be ignored without a word. */
function checkFileKeys(file: FileConfig): void {
  for (const [key, value] of Object.entries(file)) {
    if (!FILE_KEYS.includes(key)) throw new Error(`unknown setting '${key}' (known: ${FILE_KEYS.join(', ')})`);
    if (key === 'regions') {
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && REGION_RE.test(v))) throw new Error("setting 'regions' must be a non-empty array of region names, home first");
      continue;
    }
    if (key === 'endpoints') {
      const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.entries(value).every(([region, e]) =>
        REGION_RE.test(region) && typeof e === 'object' && e !== null && !Array.isArray(e) &&
        Object.entries(e as object).every(([service, url]) => (service === 'dynamodb' || service === 'kms') && typeof url === 'string' && url !== ''));
      if (!ok) throw new Error("setting 'endpoints' must map region names to { \"dynamodb\": URL, \"kms\": URL }");
      continue;
    }
    if (key === 'decryptKeys') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) throw new Error("setting 'decryptKeys' must be an array of key ids, ARNs or aliases");
      continue;
    }
    const numeric = key === 'concurrency' || key === 'timeout';
    if (typeof value !== 'string' && !(numeric && typeof value === 'number')) {
      throw new Error(`setting '${key}' must be a ${numeric ? 'number or string' : 'string'}`);
    }
  }
}

/** Resolve one setting through flag > env (first present name) > file > default. */
function pick(
  sources: Record<string, Source>,
  key: string,
  flag: string | undefined,
  envNames: readonly string[],
  env: Env,
  file: FileConfig,
  fallback: string,
): string {
  if (flag !== undefined && flag !== '') return (sources[key] = 'flag'), flag;
  for (const name of envNames) {
    const value = env[name];
    if (value !== undefined && value !== '') return (sources[key] = 'env'), value;
  }
  const fromFile = file[key];
  if (typeof fromFile === 'string' && fromFile !== '') return (sources[key] = 'config'), fromFile;
  if (typeof fromFile === 'number') return (sources[key] = 'config'), String(fromFile);
  sources[key] = 'default';
  return fallback;
}

/**
 * Bad value: a usage error (2) from a flag; a ConfigError (9) from a variable or the config file,
 * naming where it came from — a bad KEYSTASH_* value and a bad config file are the same kind of
 * failure, and give the same exit code.
 */
function invalid(sources: Record<string, Source>, key: string, configFile: string, message: string): Error {
  if (sources[key] === 'config') return new ConfigError(`config file ${configFile}: ${message}`);
  if (sources[key] === 'env') return new ConfigError(`${message} (from the environment: ${ENV_NAMES[key]?.join(' or ') ?? 'a variable'})`);
  return new UsageError(message);
}

/** The variables of the settings checked by {@link invalid}. */
const ENV_NAMES: Record<string, readonly string[]> = {
  backend: ['KEYSTASH_BACKEND'],
  store: ['KEYSTASH_STORE'],
  kms: ['KEYSTASH_KMS'],
  table: ['KEYSTASH_TABLE', 'CREDSTASH_DEFAULT_TABLE'],
  concurrency: ['KEYSTASH_CONCURRENCY'],
  timeout: ['KEYSTASH_TIMEOUT'],
};

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], sources: Record<string, Source>, configFile: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(sources, name, configFile, `invalid ${name} '${value}' (expected ${allowed.join(' or ')})`);
}

/** `--decrypt-key` (repeatable) > KEYSTASH_DECRYPT_KEYS (comma-separated) > `decryptKeys` of the file. */
function decryptKeysOf(flags: ConfigFlags, env: Env, file: FileConfig, sources: Record<string, Source>): readonly string[] | undefined {
  const split = (text: string) => text.split(',').map((k) => k.trim()).filter((k) => k !== '');
  let keys: string[] | undefined;
  if (flags.decryptKey !== undefined && flags.decryptKey.length > 0) [keys, sources.decryptKeys] = [[...flags.decryptKey], 'flag'];
  else if (env.KEYSTASH_DECRYPT_KEYS) [keys, sources.decryptKeys] = [split(env.KEYSTASH_DECRYPT_KEYS), 'env'];
  else if (Array.isArray(file.decryptKeys)) [keys, sources.decryptKeys] = [[...(file.decryptKeys as string[])], 'config'];
  else sources.decryptKeys = 'default';
  return keys === undefined || keys.length === 0 ? undefined : Object.freeze(keys);
}

/** An AWS region name (also what may follow KEYSTASH_*_ENDPOINT_). */
const REGION_RE = /^[a-z]{2}(-[a-z0-9]+){1,4}$|^local$/;

/** `--regions` > KEYSTASH_REGIONS > `regions` of the file; each region once, home first. */
function regionsOf(flags: ConfigFlags, env: Env, file: FileConfig, sources: Record<string, Source>, configFile: string): string[] | undefined {
  const split = (text: string) => text.split(',').map((r) => r.trim()).filter((r) => r !== '');
  let regions: string[] | undefined;
  if (flags.regions !== undefined && flags.regions !== '') [regions, sources.regions] = [split(flags.regions), 'flag'];
  else if (env.KEYSTASH_REGIONS) [regions, sources.regions] = [split(env.KEYSTASH_REGIONS), 'env'];
  else if (Array.isArray(file.regions)) [regions, sources.regions] = [[...(file.regions as string[])], 'config'];
  else sources.regions = 'default';
  if (regions === undefined) return undefined;
  const bad = regions.find((r) => !REGION_RE.test(r));
  if (regions.length === 0 || bad !== undefined) throw invalid(sources, 'regions', configFile, `invalid regions (not shown, in case it is the secret): expected region names separated by commas, home first, e.g. us-east-1,eu-west-1`);
  if (new Set(regions).size !== regions.length) throw invalid(sources, 'regions', configFile, 'a region is listed twice in regions');
  return regions;
}

/** Per-region endpoints: the file's `endpoints`, overridden by KEYSTASH_{DYNAMODB,KMS}_ENDPOINT_<REGION>. */
function regionEndpointsOf(regions: readonly string[], env: Env, file: FileConfig): Record<string, RegionEndpoints> {
  const fromFile = (file.endpoints ?? {}) as Record<string, RegionEndpoints>;
  const out: Record<string, RegionEndpoints> = {};
  for (const region of regions) {
    const suffix = region.toUpperCase().replaceAll('-', '_');
    const dynamodb = env[`KEYSTASH_DYNAMODB_ENDPOINT_${suffix}`] || fromFile[region]?.dynamodb;
    const kms = env[`KEYSTASH_KMS_ENDPOINT_${suffix}`] || fromFile[region]?.kms;
    if (dynamodb !== undefined || kms !== undefined) out[region] = Object.freeze({ dynamodb, kms });
  }
  return out;
}

/** Resolve the effective configuration. Throws UsageError/ConfigError for invalid values. */
export function resolveConfig(flags: ConfigFlags, env: Env): Config {
  const configFile = configFilePath(env);
  const file = readConfigFile(configFile, Boolean(env.KEYSTASH_CONFIG));
  const sources: Record<string, Source> = {};
  if (env.KEYSTASH_CONFIG) sources.configFile = 'env';
  const backend = oneOf('backend', pick(sources, 'backend', flags.backend, ['KEYSTASH_BACKEND'], env, file, 'local'), ['local', 'aws'] as const, sources, configFile);
  const store = oneOf('store', pick(sources, 'store', flags.store, ['KEYSTASH_STORE'], env, file, backend === 'aws' ? 'dynamodb' : 'sqlite'), ['sqlite', 'dynamodb'] as const, sources, configFile);
  const kms = oneOf('kms', pick(sources, 'kms', flags.kms, ['KEYSTASH_KMS'], env, file, backend), ['local', 'aws'] as const, sources, configFile);
  const table = pick(sources, 'table', flags.table, ['KEYSTASH_TABLE', 'CREDSTASH_DEFAULT_TABLE'], env, file, DEFAULT_TABLE);
  if (table === '' || /[\u0000-\u001f]/.test(table)) throw invalid(sources, 'table', configFile, 'invalid table name');
  const [dataDir, dataDirSource] = dataDirOf(flags, env, file, configFile);
  sources.dataDir = dataDirSource;
  const listed = regionsOf(flags, env, file, sources, configFile);
  const picked = pick(sources, 'region', flags.region, ['AWS_REGION', 'AWS_DEFAULT_REGION'], env, file, 'us-east-1');
  // With `regions`, the home region is its first.
  const region = listed?.[0] ?? picked;
  if (listed !== undefined) sources.region = sources.regions ?? 'default';
  const regions = listed ?? [region];
  const kmsRegion = pick(sources, 'kmsRegion', flags.kmsRegion, ['KEYSTASH_KMS_REGION'], env, file, region);
  const optional = (key: string, flag: string | undefined, envNames: string[]): string | undefined => {
    const value = pick(sources, key, flag, envNames, env, file, '');
    return value === '' ? undefined : value;
  };
  const concurrencyText = pick(sources, 'concurrency', flags.concurrency === undefined ? undefined : String(flags.concurrency), ['KEYSTASH_CONCURRENCY'], env, file, String(DEFAULT_CONCURRENCY));
  const concurrency = Number(concurrencyText);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw invalid(sources, 'concurrency', configFile, `invalid concurrency (not shown, in case it is the secret): expected an integer from 1 to 256`);
  }
  const timeoutText = pick(sources, 'timeout', flags.timeout === undefined ? undefined : String(flags.timeout), ['KEYSTASH_TIMEOUT'], env, file, String(DEFAULT_TIMEOUT_SECONDS));
  const timeout = Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 86_400) {
    throw invalid(sources, 'timeout', configFile, `invalid timeout (not shown, in case it is the secret): expected a number of seconds, more than 0 and at most 86400`);
  }
  const regionEndpoints = Object.freeze(regionEndpointsOf(regions, env, file));
  return Object.freeze({
    decryptKeys: decryptKeysOf(flags, env, file, sources),
    backend,
    store,
    kms,
    table,
    dataDir,
    storePath: join(dataDir, 'store.db'),
    keyringPath: join(dataDir, 'keyring.json'),
    configFile,
    region,
    kmsRegion,
    profile: optional('profile', flags.profile, ['AWS_PROFILE']),
    roleArn: optional('roleArn', flags.roleArn, ['KEYSTASH_ROLE_ARN']),
    // The home region's own endpoint (KEYSTASH_*_ENDPOINT_<REGION>, `endpoints`) is the more specific one.
    dynamodbEndpoint: regionEndpoints[region]?.dynamodb ?? optional('dynamodbEndpoint', flags.endpointUrl, ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL']),
    kmsEndpoint: (kmsRegion === region ? regionEndpoints[region]?.kms : undefined) ?? optional('kmsEndpoint', flags.endpointUrl, ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL']),
    concurrency,
    timeout,
    kmsPassphrase: env.KEYSTASH_KMS_PASSPHRASE || undefined,
    regions: Object.freeze(regions),
    regionEndpoints,
    anyRegion: flags.anyRegion === true,
    sources: Object.freeze(sources),
  });
}

/** The settings safe to show (`keystash config`): everything but the passphrase, with sources. */
export function describeConfig(config: Config): Array<{ setting: string; value: string; source: Source | 'derived' }> {
  const rows: Array<{ setting: string; value: string; source: Source | 'derived' }> = [];
  const show = (setting: string, value: string | number | undefined, source: Source | 'derived' = config.sources[setting] ?? 'default') =>
    rows.push({ setting, value: value === undefined ? '' : String(value), source });
  show('backend', config.backend);
  show('store', config.store);
  show('kms', config.kms);
  show('table', config.table);
  show('dataDir', config.dataDir);
  show('storePath', config.storePath, 'derived');
  show('keyringPath', config.keyringPath, 'derived');
  show('region', config.region);
  show('kmsRegion', config.kmsRegion);
  show('profile', config.profile);
  show('roleArn', config.roleArn);
  show('dynamodbEndpoint', config.dynamodbEndpoint);
  show('kmsEndpoint', config.kmsEndpoint);
  show('concurrency', config.concurrency);
  show('decryptKeys', config.decryptKeys?.join(','));
  show('timeout', config.timeout);
  show('regions', config.regions.join(','));
  for (const [region, e] of Object.entries(config.regionEndpoints)) {
    show(`endpoints.${region}.dynamodb`, e.dynamodb, 'derived');
    show(`endpoints.${region}.kms`, e.kms, 'derived');
  }
  show('kmsPassphrase', config.kmsPassphrase === undefined ? 'not set' : 'set (hidden)', config.kmsPassphrase === undefined ? 'default' : 'env');
  show('configFile', config.configFile, config.sources.configFile ?? 'derived');
  return rows;
}
