/**
 * What every command factory receives: the Io, and functions that resolve the configuration
 * and open a Keystash from a command's (global) options. Tests replace `open` with a spy.
 */
import type { Command } from 'commander';
import { resolveConfig, type Config, type ConfigFlags } from '../config.js';
import type { Keystash } from '../core/keystash.js';
import { safeLines } from '../format/one-line.js';
import type { Io } from './io.js';

export interface CliDeps {
  io: Io;
  /** Open the Keystash for a resolved config (the real one lazily loads the backends). */
  open(config: Config): Promise<Keystash>;
}

/** The resolved configuration for a command, from its own and its parents' options. */
export function configOf(deps: CliDeps, cmd: Command): Config {
  return resolveConfig(cmd.optsWithGlobals() as ConfigFlags, deps.io.env);
}

/** Run `fn` with an open Keystash, closing it afterwards. */
export async function withKeystash<T>(deps: CliDeps, cmd: Command, fn: (keystash: Keystash, config: Config) => Promise<T>): Promise<T> {
  const config = configOf(deps, cmd);
  const keystash = await deps.open(config);
  try {
    return await fn(keystash, config);
  } finally {
    keystash.close();
  }
}

/** Write a line of talk (progress, confirmations) to stderr, terminal controls escaped. */
export function say(deps: CliDeps, line: string): void {
  deps.io.stderr.write(`${safeLines(line)}\n`);
}

/** Write `value` as `--json` output: one style for every command (2-space indent, a final newline). */
export function printJson(deps: CliDeps, value: unknown): void {
  deps.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
