/**
 * A facade with nodecredstash's promise API (`new Credstash({ table, awsOpts, kmsKey })`,
 * getSecret / putSecret / getAllSecrets / listSecrets / deleteSecret / deleteSecrets) so Node
 * programs using that library can switch to keystash by changing the import. Versions are
 * numbers or strings, zero-padded as credstash stores them. Errors are keystash's typed errors.
 */
import type { EncryptionContext } from '../envelope/keyservice.js';
import type { Keystash } from '../core/keystash.js';
import { parseWriteVersion } from '../core/versions.js';
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

type Version = number | string;

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

  /** The value of `name` at `version` (default: latest). */
  async getSecret(opts: { name: string; version?: Version; context?: EncryptionContext }): Promise<string> {
    return (await this.keystash()).get(opts.name, { version: versionText(opts.version), context: opts.context });
  }

  /**
   * Store `secret` as `name`. Like nodecredstash, version defaults to 1 and an existing version
   * is an error (VersionExistsError); use {@link incrementVersion} for the next one.
   */
  async putSecret(opts: { name: string; secret: string; version?: Version; context?: EncryptionContext; digest?: string; kmsKey?: string }): Promise<void> {
    await (await this.keystash()).put(opts.name, opts.secret, {
      version: versionText(opts.version) ?? '1',
      context: opts.context,
      digest: opts.digest,
      keyId: opts.kmsKey ?? this.options.kmsKey,
    });
  }

  /** The version after the latest of `name` (zero-padded), as nodecredstash returns it. */
  async incrementVersion(opts: { name: string }): Promise<string> {
    const latest = await (await this.keystash()).latestVersion(opts.name);
    return parseWriteVersion(String(latest === undefined ? 1 : BigInt(latest) + 1n));
  }

  /** `{ name: value }` of every secret at `version` (default latest). */
  async getAllSecrets(opts: { version?: Version; context?: EncryptionContext } = {}): Promise<Record<string, string>> {
    const pairs = await (await this.keystash()).getAll({ version: versionText(opts.version), context: opts.context });
    return Object.fromEntries(pairs);
  }

  /** Every `{ name, version }` stored. */
  async listSecrets(): Promise<Array<{ name: string; version: string }>> {
    return (await (await this.keystash()).list()).map((m) => ({ name: m.name, version: m.version }));
  }

  /** Delete one version of `name`. */
  async deleteSecret(opts: { name: string; version: Version }): Promise<void> {
    await (await this.keystash()).delete(opts.name, { version: versionText(opts.version) });
  }

  /** Delete every version of `name`. */
  async deleteSecrets(opts: { name: string }): Promise<void> {
    await (await this.keystash()).delete(opts.name);
  }

  /** Close the underlying store and key service. */
  async close(): Promise<void> {
    if (this.opening) (await this.opening).close();
    this.opening = undefined;
  }
}

function versionText(version: Version | undefined): string | undefined {
  return version === undefined ? undefined : String(version);
}
