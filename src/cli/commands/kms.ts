import { resolve } from 'node:path';
import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
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
type KmsCreateKeyOptions = OptionsOf<'kms create-key'>;

/** Options of `kms replicate-key`. */
type KmsReplicateKeyOptions = OptionsOf<'kms replicate-key'>;

/** Options of `kms list` and `kms describe`. */
type KmsJsonOptions = OptionsOf<'kms list'> & OptionsOf<'kms describe'>;

/** Subcommands without options of their own. */
type NoOptions = Record<string, never>;

export function kmsCommand(deps: CliDeps): Command {
  const kms = withGrammar(new Command('kms'), COMMAND_GRAMMAR.kms).description('manage the local KMS keyring, or serve it over the AWS KMS protocol');
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
  withGrammar(kms.command('serve'), COMMAND_GRAMMAR['kms serve'])
    .description('serve the local keyring over the AWS KMS JSON protocol (SigV4-authenticated, loopback)')
    .action(async (opts: ServeOptions, cmd: Command) => {
      const { serveKms } = await import('../kms-serve.js');
      await serveKms(deps, configOf(deps, cmd), opts);
    });
  withGrammar(kms.command('create-key'), COMMAND_GRAMMAR['kms create-key'])
    .description('create a master key')
    .action(async (opts: KmsCreateKeyOptions, cmd: Command) =>
      printKey(deps, await withKms(cmd, (k) => k.createKey({ alias: opts.alias, description: opts.description, ...(opts.multiRegion === true ? { multiRegion: true } : {}) })), opts.json === true));
  withGrammar(kms.command('replicate-key'), COMMAND_GRAMMAR['kms replicate-key'])
    .description('copy a multi-region key (same mrk- id and key material; its own aliases and enabled state) into the keyring of another data directory')
    .action(async (key: string, opts: KmsReplicateKeyOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      const target = resolve(opts.to, 'keyring.json');
      const meta = await withKms(cmd, (k) => k.replicateKey(key, target, opts.replicaRegion, config.kmsPassphrase));
      say(deps, `Replicated ${meta.keyId} to ${target} as ${meta.arn}`);
      printKey(deps, meta, opts.json === true);
    });
  withGrammar(kms.command('list'), COMMAND_GRAMMAR['kms list']).alias('list-keys')
    .description('list master keys')
    .action(async (opts: KmsJsonOptions, cmd: Command) => {
      const keys = await withKms(cmd, (k) => k.listKeys());
      if (opts.json) printJson(deps, keys);
      else for (const key of keys) printKey(deps, key, false);
    });
  withGrammar(kms.command('describe'), COMMAND_GRAMMAR['kms describe']).description('show one master key')
    .action(async (key: string, opts: KmsJsonOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.describeKey(key)), opts.json === true));
  withGrammar(kms.command('alias'), COMMAND_GRAMMAR['kms alias']).description('point an alias at a master key')
    .action(async (alias: string, key: string, _opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.createAlias(alias, key));
      say(deps, `${alias} → ${key}`);
    });
  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    withGrammar(kms.command(name), COMMAND_GRAMMAR[`kms ${name}`]).description(enabled ? 'enable a master key' : 'disable a master key (its wraps no longer decrypt until enabled)')
      .action(async (key: string, _opts: NoOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.setKeyEnabled(key, enabled)), false));
  }
  withGrammar(kms.command('seal'), COMMAND_GRAMMAR['kms seal']).description('encrypt the keyring under KEYSTASH_KMS_PASSPHRASE (scrypt N=2^17)')
    .action(async (_opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.sealKeyring());
      say(deps, `sealed keyring ${keyringPathOf(deps, cmd)}`);
    });
  withGrammar(kms.command('unseal'), COMMAND_GRAMMAR['kms unseal']).description('rewrite a sealed keyring as plain JSON (needs KEYSTASH_KMS_PASSPHRASE)')
    .action(async (_opts: NoOptions, cmd: Command) => {
      await withKms(cmd, (k) => k.unsealKeyring());
      say(deps, `unsealed keyring ${keyringPathOf(deps, cmd)}; it is protected by its file mode only`);
    });
  withGrammar(kms.command('rotate'), COMMAND_GRAMMAR['kms rotate']).description('add a backing key for new wraps; older wraps still decrypt')
    .action(async (key: string, _opts: NoOptions, cmd: Command) => printKey(deps, await withKms(cmd, (k) => k.rotateKey(key)), false));
  kms.addCommand(kmsAuditCommand(deps));
  kms.addCommand(kmsPrincipalsCommand(deps));
  return kms;
}
