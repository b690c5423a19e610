/**
 * What every command factory receives: the Io, and the backends it may open, each from a
 * resolved Config (the real ones come from the composition root, src/wiring.ts; tests replace
 * any of them). Commands open nothing themselves.
 */
import type { Command } from 'commander';
import { resolveConfig, type Config, type ConfigFlags } from '../config.js';
import type { Keystash } from '../core/keystash.js';
import type { RegionFallback } from '../core/transfer/regions.js';
import type { KeyService } from '../envelope/keyservice.js';
import type { LocalKeyring } from '../localkms/audited-kms.js';
import { safeLines } from '../format/one-line.js';
import type { Io } from './io.js';

export interface CliDeps extends CliWiring {
  io: Io;
}

/** How a command opens its Keystash. */
interface OpenOptions {
  /** The command stores secrets: a missing local store (and data directory) is created. */
  create?: boolean | undefined;
  /** A fallback region answered because the one before it was out (multi-region reads). */
  onRegionFallback?: ((event: RegionFallback) => void) | undefined;
}

/** The backends a command may open (src/wiring.ts in the real program). */
export interface CliWiring {
  /**
   * The Keystash of a config; its AWS requests share the command's deadline (`--timeout`). Only
   * with `create` (commands that store: put, putall, import, restore, setup, migrate's
   * destination) may a missing local store and its data directory be created; otherwise a
   * missing store is a StoreError 'store.missing' (a mistyped --data-dir is not an empty store).
   */
  open(config: Config, options?: OpenOptions): Promise<Keystash>;
  /** The key service of a config alone (restore's `--rewrap-from`), with the same deadline. */
  openKeys(config: Config): Promise<KeyService>;
  /** The local keyring; audited unless `audited: false` (`kms serve` and `kms audit` record themselves or only read). */
  openLocalKms(config: Config, options?: { audited?: boolean; createDefaultKey?: boolean }): Promise<LocalKeyring>;
  /** Where the local KMS audit log of a config is. */
  auditLogPath(config: Config): string;
  /** `setup --replica-region`: global table and multi-region key (AWS backend). */
  setupReplicas?(config: Config, keyId: string, replicaRegions: readonly string[]): Promise<{ lines: string[]; cannot: string[] }>;
}

/**
 * The configuration flags of a command: its own and its parents' options (the global options are
 * declared in program.ts). The one place their type is asserted.
 */
export function flagsOf(cmd: Command): ConfigFlags {
  return cmd.optsWithGlobals<ConfigFlags>();
}

/** The resolved configuration for a command, from its own and its parents' options. */
export function configOf(deps: CliDeps, cmd: Command): Config {
  return resolveConfig(flagsOf(cmd), deps.io.env);
}

/** Run `fn` with an open Keystash, closing it afterwards (a missing local store is created only with `create`). */
export async function withKeystash<T>(deps: CliDeps, cmd: Command, fn: (keystash: Keystash, config: Config) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  return withKeystashOf(deps, flagsOf(cmd), fn, options);
}

/** withKeystash from configuration flags, however they were parsed (commander's flagsOf, or the quick path). */
export async function withKeystashOf<T>(deps: CliDeps, flags: ConfigFlags, fn: (keystash: Keystash, config: Config) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const config = resolveConfig(flags, deps.io.env);
  const keystash = await deps.open(config, { ...options, onRegionFallback: (event) => sayFallback(deps, event, flags.debug === true) });
  try {
    return await fn(keystash, config);
  } finally {
    keystash.close();
  }
}

/** Say on stderr which region answered when the one before it was out (the cause with --debug). */
function sayFallback(deps: CliDeps, event: RegionFallback, debug: boolean): void {
  const what = event.service === 'store' ? 'DynamoDB' : 'KMS';
  say(deps, `keystash: ${what} in ${event.from} is unavailable; region ${event.to} answered`);
  if (debug) say(deps, `keystash: ${event.operation} in ${event.from} failed: ${event.reason}`);
}

/** Write a line of talk (progress, confirmations) to stderr, terminal controls escaped. */
export function say(deps: CliDeps, line: string): void {
  deps.io.stderr.write(`${safeLines(line)}\n`);
}

/** Write `value` as `--json` output: one style for every command (2-space indent, a final newline). */
export function printJson(deps: CliDeps, value: unknown): void {
  deps.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
