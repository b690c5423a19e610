import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parsePort } from '../arg-parsers.js';
import { configOf, printJson, say, type CliDeps } from '../deps.js';
import { UsageError } from '../../errors.js';
import type { LocalKeyring } from '../../localkms/audited-kms.js';
import type { KeyMetadata } from '../../localkms/key-manager.js';
import { oneLine } from '../../format/one-line.js';
import { kmsAuditCommand } from './kms-audit.js';
import { kmsPrincipalsCommand } from './kms-principals.js';
import type { ServeOptions } from '../kms-serve.js';

function printKey(deps: CliDeps, key: KeyMetadata, json: boolean): void {
  if (json) printJson(deps, key);
  else deps.io.stdout.write(`${oneLine(`${key.keyId}  ${key.enabled ? 'enabled ' : 'disabled'}  backing keys: ${key.backingKeyCount}  ${key.aliases.join(',')}  ${key.description}`)}\n`);
}

function keyringPathOf(deps: CliDeps, cmd: Command): string {
  return configOf(deps, cmd).keyringPath;
}

/** Options of `kms create-key`. */
interface KmsCreateKeyOptions {
  alias?: string;
  multiRegion?: boolean;
  description?: string;
  json?: boolean;
}

/** Options of `kms replicate-key`. */
interface KmsReplicateKeyOptions {
  to: string;
  replicaRegion: string;
  json?: boolean;
}

/** Options of `kms list` and `kms describe`. */
interface KmsJsonOptions {
  json?: boolean;
}

/** Subcommands without options of their own. */
type NoOptions = Record<string, never>;

export function kmsCommand(deps: CliDeps): Command {
  const kms = new Command('kms').description('manage the local KMS keyring, or serve it over the AWS KMS protocol');
  const withKms = async <T>(cmd: Command, fn: (k: LocalKeyring) => Promise<T>): Promise<T> => {
    const config = configOf(deps, cmd);
    if (config.kms === 'aws') {
      throw new UsageError(`'kms ${cmd.name()}' manages the local keyring, but the configured key service is AWS KMS (--backend aws / --kms aws); manage AWS KMS keys with the AWS console or CLI (aws kms create-key), or run it with --kms local`);
    }
    const k = await deps.openLocalKms(config);
    try {
      return await fn(k);
    } finally {
      k.close();
    }
  };
  kms.command('serve')
    .description('serve the local keyring over the AWS KMS JSON protocol (SigV4-authenticated, loopback)')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--port <port>', 'port (0 = a free one)', parsePort, 0)
    .option('--access-key-id <id>', 'accepted access key id (KEYSTASH_KMS_ACCESS_KEY_ID)')
    .option('--secret-access-key-file <file>', 'file holding its secret (else KEYSTASH_KMS_SECRET_ACCESS_KEY; never on the command line)')
    .addOption(new Option('--secret-access-key <secret>').hideHelp())
    .option('--allow-remote', 'allow a non-loopback --host (needs --tls-cert and --tls-key)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--principals <file>', 'principals file (0600): access keys with roles user/manager, key and context limits')
    .action(async (opts: ServeOptions, cmd: Command) => {
      const { serveKms } = await import('../kms-serve.js');
      await serveKms(deps, configOf(deps, cmd), opts);
    });
  kms.command('create-key')
    .description('create a master key')
    .option('--alias <alias>', 'alias/NAME')
    .option('--description <text>', 'description')
    .option('--multi-region', 'a multi-region key (id mrk-…) that kms replicate-key can copy to another keyring')
    .option('--json', 'print JSON')
    .action(async (opts: KmsCreateKeyOptions, cmd: Command) =>
      printKey(deps, await withKms(cmd, (k) => k.createKey({ alias: opts.alias, description: opts.description, ...(opts.multiRegion === true ? { multiRegion: true } : {}) })), opts.json === true));
  kms.command('replicate-key')
    .description('copy a multi-region key (same mrk- id and key material; its own aliases and enabled state) into the keyring of another data directory')
    .argument('<key>', 'mrk- key id, ARN or alias')
    .requiredOption('--to <dir>', 'data directory of the other keyring (created if absent)')
    .requiredOption('--replica-region <region>', 'region named in the replica ARN')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: KmsReplicateKeyOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      const target = resolve(opts.to, 'keyring.json');
      const meta = await withKms(cmd, (k) => k.replicateKey(key, target, opts.replicaRegion, config.kmsPassphrase));
      say(deps, `Replicated ${meta.keyId} to ${target} as ${meta.arn}`);
      printKey(deps, meta, opts.json === true);
    });
  kms.command('list').alias('list-keys')
    .description('list master keys')
    .option('--json', 'print JSON')
    .action(async (opts: KmsJsonOptions, cmd: Command) => {
      const keys = await withKms(cmd, (k) => k.listKeys());
      if (opts.json) printJson(deps, keys);
      else for (const key of keys) printKey(deps, key, false);
    });
  kms.command('describe').description('show one master key').argument('<key>', 'key id, ARN or alias').option('--json', 'print JSON')
    .action(async (key: string, opts: KmsJsonOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.describeKey(key)), opts.json === true));
  kms.command('alias').description('point an alias at a master key').argument('<alias>', 'alias/NAME').argument('<key>', 'key id, ARN or alias')
    .action(async (alias: string, key: string, _opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.createAlias(alias, key));
      say(deps, `${alias} → ${key}`);
    });
  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    kms.command(name).description(enabled ? 'enable a master key' : 'disable a master key (its wraps no longer decrypt until enabled)').argument('<key>', 'key id, ARN or alias')
      .action(async (key: string, _opts: NoOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.setKeyEnabled(key, enabled)), false));
  }
  kms.command('seal').description('encrypt the keyring under KEYSTASH_KMS_PASSPHRASE (scrypt N=2^17)')
    .action(async (_opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.sealKeyring());
      say(deps, `sealed keyring ${keyringPathOf(deps, cmd)}`);
    });
  kms.command('unseal').description('rewrite a sealed keyring as plain JSON (needs KEYSTASH_KMS_PASSPHRASE)')
    .action(async (_opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.unsealKeyring());
      say(deps, `unsealed keyring ${keyringPathOf(deps, cmd)}; it is protected by its file mode only`);
    });
  kms.command('rotate').description('add a backing key for new wraps; older wraps still decrypt').argument('<key>', 'key id, ARN or alias')
    .action(async (key: string, _opts: NoOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.rotateKey(key)), false));
  kms.addCommand(kmsAuditCommand(deps));
  kms.addCommand(kmsPrincipalsCommand(deps));
  return kms;
}
