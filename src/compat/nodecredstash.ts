/**
 * A facade with nodecredstash's promise API (`new Credstash({ table, awsOpts, kmsKey })`, the
 * 2.x constructor) so Node programs using that library can switch to keystash by changing the
 * import: getSecret / putSecret / getAllSecrets / getAllVersions / listSecrets / deleteSecret /
 * deleteSecrets / getHighestVersion / incrementVersion / createDdbTable / paddedInt, with
 * nodecredstash's parameter and result shapes and defaults (version 1 for putSecret, digest
 * SHA256, versions zero-padded to 19 characters).
 *
 * Deliberate differences (also in README "nodecredstash-compatible facade"):
 * - Promises only: no node-style callback as last argument; no per-call `tableName`.
 * - Errors are keystash's typed errors (match with `instanceof` or `code`, not the message): a
 *   missing secret is SecretNotFoundError with credstash's message "Item {'name': 'x'} couldn't
 *   be found." (nodecredstash says "could not"); an existing version is VersionExistsError;
 *   missing required parameters are UsageError with nodecredstash's messages.
 * - String versions shorter than 19 characters must be integers and are padded like numbers
 *   (nodecredstash stored them verbatim); versions are ordered numerically, also in tables that
 *   hold legacy unpadded versions.
 * - getAllSecrets skips, as nodecredstash does, secrets that lack the requested version or that
 *   cannot be decrypted under the given context (DecryptError), but rejects with
 *   PartialFailureError on a tampered row (IntegrityError) or a store / KMS failure, which
 *   nodecredstash silently dropped.
 * - Names in listSecrets are ordered by code point (nodecredstash: localeCompare).
 * - Resolved values: putSecret, deleteSecret and createDdbTable resolve to undefined (not the
 *   DynamoDB responses); deleteSecrets to the deleted `{ name, version }` rows.
 */
import type { EncryptionContext } from '../envelope/keyservice.js';
import type { Keystash } from '../core/keystash.js';
import { mapSettled } from '../core/secrets/concurrency.js';
import { asKeystashError, byNameThenNewest, newestFirst } from '../core/secrets/rows.js';
import { nextVersion, padVersion } from '../core/secrets/versions.js';
import { DecryptError, isSetupError, PartialFailureError, SecretNotFoundError, UsageError } from '../errors.js';
import { createKeystash } from '../open.js';

export interface CredstashOptions {
  /** Table (default `credential-store`). */
  table?: string;
  /** Master key (default `alias/credstash`). */
  kmsKey?: string;
  /** `region`, `endpoint` and static `credentials` are used; other SDK options are ignored. */
  awsOpts?: { region?: string; endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } };
  /** keystash addition: the backend; default `aws`, as nodecredstash always was. */
  backend?: 'local' | 'aws';
  /** keystash addition: data directory of the local backend. */
  dataDir?: string;
  /** keystash addition: environment for configuration; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A version as nodecredstash takes it: a number or a string, zero-padded to 19 characters. */
export type CredstashVersion = number | string;

/** One `{ name, version }` row of listSecrets / deleteSecrets. */
export interface CredstashNameVersion {
  name: string;
  version: string;
}

/** nodecredstash's `Credstash` class over a lazily opened Keystash. */
export class Credstash {
  private readonly options: CredstashOptions;
  private opening: Promise<Keystash> | undefined;

  constructor(options: CredstashOptions = {}) {
    this.options = options;
  }

  private keystash(): Promise<Keystash> {
    this.opening ??= createKeystash({
        backend: this.options.backend ?? 'aws',
        table: this.options.table,
        region: this.options.awsOpts?.region,
        endpoint: this.options.awsOpts?.endpoint,
        ...(this.options.awsOpts?.credentials ? { credentials: this.options.awsOpts.credentials } : {}),
        dataDir: this.options.dataDir,
        env: this.options.env,
      });
    return this.opening;
  }

  /**
   * nodecredstash's `paddedInt`: `paddedInt(5)` (3.x) or `paddedInt(19, 5)` (2.x) →
   * '0000000000000000005'.
   */
  paddedInt(padLengthOrValue: number | string, value?: number | string): string {
    if (value === undefined) return padVersion(padLengthOrValue);
    return String(value).padStart(Number(padLengthOrValue), '0');
  }

  /** The value of `name` at `version` (default: latest). SecretNotFoundError when absent. */
  async getSecret(opts: { name: string; version?: CredstashVersion; context?: EncryptionContext }): Promise<string> {
    requireName(opts?.name);
    return (await this.keystash()).get(opts.name, { version: versionText(opts.version), context: opts.context });
  }

  /**
   * Store `secret` as `name`. Like nodecredstash, version defaults to 1 and an existing version
   * is an error (VersionExistsError); use {@link incrementVersion} for the next one.
   */
  async putSecret(opts: { name: string; secret: string; version?: CredstashVersion; context?: EncryptionContext; digest?: string; kmsKey?: string }): Promise<void> {
    requireName(opts?.name);
    if (typeof opts.secret !== 'string' || opts.secret === '') throw new UsageError('secret is a required parameter');
    await (await this.keystash()).put(opts.name, opts.secret, {
      version: versionText(opts.version) ?? '1',
      context: opts.context,
      digest: opts.digest,
      keyId: opts.kmsKey ?? this.options.kmsKey,
    });
  }

  /** The highest version of `name` (zero-padded); '0000000000000000000' when it has none. */
  async getHighestVersion(opts: { name: string }): Promise<string> {
    requireName(opts?.name);
    return (await (await this.keystash()).latestVersion(opts.name)) ?? padVersion(0);
  }

  /** The version after the highest of `name` (zero-padded), as nodecredstash returns it. */
  async incrementVersion(opts: { name: string }): Promise<string> {
    requireName(opts?.name);
    return nextVersion(await (await this.keystash()).latestVersion(opts.name));
  }

  /**
   * `{ name: value }` of every secret (whose name starts with `startsWith`) at `version`
   * (default latest), sorted by name. Secrets without that version, or that cannot be decrypted
   * under `context`, are left out as nodecredstash leaves them out; any other failure rejects
   * with PartialFailureError.
   */
  async getAllSecrets(opts: { version?: CredstashVersion; context?: EncryptionContext; startsWith?: string } = {}): Promise<Record<string, string>> {
    const ks = await this.keystash();
    const version = versionText(opts.version);
    const { startsWith } = opts;
    const names = (await ks.names()).filter((name) => !startsWith || name.startsWith(startsWith));
    const settled = await mapSettled(names, ks.concurrency, (name) => ks.get(name, { version, context: opts.context }), { stopOn: isSetupError });
    const failures = settled.flatMap((s) =>
      s.ok || s.error instanceof SecretNotFoundError || s.error instanceof DecryptError ? [] : [{ name: s.item, error: asKeystashError(s.error) }],
    );
    if (failures.length > 0) {
      const detail = failures.map((f) => `${f.name}: ${f.error.message}`).join('; ');
      throw new PartialFailureError(`${failures.length} of ${names.length} secrets could not be read (${detail})`, failures);
    }
    return Object.fromEntries(settled.flatMap((s) => (s.ok ? [[s.item, s.value] as const] : [])));
  }

  /**
   * `[{ version, secret }]` of `name`, newest first; the newest `limit` when given. An absent
   * name is `[]`; a version that cannot be decrypted rejects the whole call.
   */
  async getAllVersions(opts: { name: string; context?: EncryptionContext; limit?: number }): Promise<Array<{ version: string; secret: string }>> {
    requireName(opts?.name);
    const ks = await this.keystash();
    let metas;
    try {
      metas = await ks.history(opts.name);
    } catch (error) {
      if (error instanceof SecretNotFoundError) return [];
      throw error;
    }
    if (opts.limit !== undefined && opts.limit > 0) metas = metas.slice(0, opts.limit);
    const rows = await Promise.all(
      metas.map(async ({ version }) => {
        // By the stored version itself: legacy unpadded versions stay readable.
        const record = await ks.store.getVersion(opts.name, version);
        return record ? { version, secret: await ks.open(record, opts.context) } : undefined;
      }),
    );
    return rows.filter((row) => row !== undefined);
  }

  /** Every `{ name, version }` stored: by name, then newest version first (as nodecredstash sorts). */
  async listSecrets(): Promise<CredstashNameVersion[]> {
    const metas = await (await this.keystash()).list();
    return metas
      .map((m) => ({ name: m.name, version: m.version }))
      .sort(byNameThenNewest);
  }

  /** Delete one version of `name` (required); an absent version is not an error, as in DynamoDB. */
  async deleteSecret(opts: { name: string; version: CredstashVersion }): Promise<void> {
    requireName(opts?.name);
    const version = versionText(opts.version);
    if (version === undefined) throw new UsageError('version is a required parameter');
    try {
      await (await this.keystash()).delete(opts.name, { version });
    } catch (error) {
      if (!(error instanceof SecretNotFoundError)) throw error;
    }
  }

  /** Delete every version of `name`; the deleted rows, newest first (`[]` when there were none). */
  async deleteSecrets(opts: { name: string }): Promise<CredstashNameVersion[]> {
    requireName(opts?.name);
    try {
      const deleted = await (await this.keystash()).delete(opts.name);
      return deleted.map((m) => ({ name: m.name, version: m.version })).sort(newestFirst);
    } catch (error) {
      if (error instanceof SecretNotFoundError) return [];
      throw error;
    }
  }

  /** Create the table if it does not exist (keystash `setup`: on-demand capacity). */
  async createDdbTable(): Promise<void> {
    await (await this.keystash()).setup();
  }

  /** Close the underlying store and key service. */
  async close(): Promise<void> {
    if (this.opening) (await this.opening).close();
    this.opening = undefined;
  }
}

function requireName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new UsageError('name is a required parameter');
}

/** A version as keystash takes it; none (undefined or '') means the default, as in nodecredstash. */
function versionText(version: CredstashVersion | undefined): string | undefined {
  return version === undefined || version === '' ? undefined : String(version);
}

