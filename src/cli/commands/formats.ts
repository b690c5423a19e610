import type { SecretPairs } from '../../core/secrets/get-all.js';
import { UsageError } from '../../errors.js';
import type { FormatOptions } from '../../format/types.js';

/** The formats credstash's get/getall offer (docs/format.md §3.8). */
export const CREDSTASH_FORMATS = ['json', 'yaml', 'csv', 'dotenv'] as const;

/** The formats that write variable names (the naming rule, format/varname.ts); k8s-secret too with --env-keys. */
const VARIABLE_FORMATS: ReadonlySet<string> = new Set(['dotenv', 'shell', 'github-env', 'github-output', 'docker', 'env-no-quotes']);

/** Whether `format` writes variable names (where --strip-prefix, --override and --no-clobber apply). */
export function writesVariables(format: string, envKeys = false): boolean {
  return VARIABLE_FORMATS.has(format) || (format === 'k8s-secret' && envKeys);
}

/**
 * UsageError when `--allow-env` is given for output it cannot change: a flag that would do nothing
 * is refused, not ignored (it would look as if something had been allowed).
 */
export function checkAllowEnvApplies(allowEnv: readonly string[], format: string, options: { envKeys?: boolean; offered?: string } = {}): void {
  // Every variable format but github-output (a step's outputs, not an environment) is checked by the variable rule.
  if (allowEnv.length === 0 || (writesVariables(format, options.envKeys) && format !== 'github-output')) return;
  throw new UsageError(`--allow-env applies only to formats with variable names (${options.offered ?? 'dotenv, shell, github-env, docker, env-no-quotes, k8s-secret --env-keys'}), not -f ${format}`);
}

/** Render `secrets` (sorted name/value pairs); the renderers load only when output is due. */
export async function renderFormat(format: string, secrets: SecretPairs, options: FormatOptions = {}): Promise<string> {
  const { FORMATS } = await import('../../format/index.js');
  const render = FORMATS[format as keyof typeof FORMATS];
  return render(secrets, options);
}
