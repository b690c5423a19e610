/**
 * The one rule that turns a secret name into an environment variable name, shared by the dotenv,
 * shell and github-env renderers:
 *
 * 1. if `stripPrefix` is given (one prefix or several) and the name starts with one, that prefix
 *    (the longest matching one) is removed;
 * 2. a name containing any non-ASCII character is refused (never transliterated or dropped);
 * 3. ASCII letters are upper-cased and every character other than `A–Z a–z 0–9` becomes `_`;
 * 4. the result must match `^[A-Za-z_][A-Za-z0-9_]*$` (so: not empty, not starting with a
 *    digit), otherwise the secret is refused;
 * 5. two secrets that end up with the same variable name are refused, naming both;
 * 6. a variable that changes how programs load or run ({@link isDangerousVariable}: the sources of
 *    unsafe-env.ts — sudo's and glibc's lists, runtimes' start-up variables, …) is refused unless the caller allows it by name (`allowEnv`): otherwise
 *    anyone who may *write* a secret named `app.ld_preload` runs code wherever `app.*` is read.
 *
 * Refusals are UsageErrors naming the secret (rule 6: every refused secret of the list at once).
 * credstash's own dotenv output upper-cased with `str.upper()` and kept `.`/`-` (docs/format.md
 * §3.8), which shells cannot source; this rule replaces it on purpose.
 */
import { UsageError } from '../errors.js';
import { quoteName, secretEntries } from './types.js';
import type { SecretMap } from './types.js';
import { unsafeEnvSource } from './unsafe-env.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * True for a variable name a secret must not set unless allowed by name (rule 6): every name of
 * the sources in unsafe-env.ts — sudo's table of unsafe variables, glibc's list cleared for
 * set-uid programs, the start-up and loader variables of runtimes and tools (Node, Python, Ruby,
 * Perl, Java, .NET, Go, Rust, PHP, Lua, npm/yarn/pip, git, ssh, pagers, editors, curl/wget, TLS
 * CA overrides, proxies), the CI runner's ACTIONS_/GITHUB_/RUNNER_, keystash's and AWS's own, and
 * the shapes that carry flags (*OPTIONS, *OPTS, *FLAGS, *ARGS …), name a program to run (*_EDITOR,
 * *_PAGER, *_COMMAND …) or point at an installation or configuration (*_HOME, *_CONFIG_FILE …)
 * (README, "Secret names → variable names").
 */
export function isDangerousVariable(varName: string): boolean {
  return unsafeEnvSource(varName) !== undefined;
}

/** True when `varName` is dangerous (rule 6) and not allowed by name. */
function isRefused(varName: string, allowEnv: readonly string[]): boolean {
  return isDangerousVariable(varName) && !allowEnv.includes(varName);
}

/**
 * A secret name that may be shown inside a suggested command as is: pasted into a shell it is one
 * word and means nothing else, and `--env VAR=name` reads it as that name (no `@`, which would
 * select a version). Any other name (written by whoever may write secrets) stays out of commands.
 */
const PASTABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/**
 * The UsageError for the secrets whose variables rule 6 refuses, naming every one of them, so
 * that one run shows all there is to map or allow. The way out is said per variable, never as one
 * line allowing them all: a reader who meant to let one through must not be one paste away from
 * also allowing the LD_PRELOAD someone else planted beside it.
 */
function refusedVariablesError(refused: ReadonlyArray<readonly [secretName: string, varName: string]>): UsageError {
  const [only] = refused;
  if (refused.length === 1 && only !== undefined) {
    const [secretName, varName] = only;
    const mapping = PASTABLE_NAME.test(secretName) ? `exec --env ${varName}=${secretName}` : `exec --env ${varName}=NAME, the secret's name quoted for your shell`;
    return new UsageError(
      `secret ${quoteName(secretName)} would set ${varName}, which changes how programs load or run; ` +
        `map it explicitly (${mapping}) or allow it with --allow-env ${varName}`,
    );
  }
  return new UsageError(
    [
      `${refused.length} secrets would set variables that change how programs load or run:`,
      ...refused.map(([secretName, varName]) => `  secret ${quoteName(secretName)} would set ${varName}`),
      'map each explicitly (exec --env VAR=NAME) or allow each one you mean with --allow-env VAR',
    ].join('\n'),
  );
}

/** `--strip-prefix`: one prefix, or several (repeated flag); the longest that matches is removed. */
export type StripPrefix = string | readonly string[] | undefined;

/** `secretName` without the longest of the prefixes it starts with (rule 1). */
function stripNamePrefix(secretName: string, stripPrefix?: StripPrefix): string {
  const prefixes = typeof stripPrefix === 'string' ? [stripPrefix] : (stripPrefix ?? []);
  let longest = '';
  for (const prefix of prefixes) if (prefix.length > longest.length && secretName.startsWith(prefix)) longest = prefix;
  return secretName.slice(longest.length);
}

/** The environment variable name for one secret name (rules 1–4 above). */
export function toVarName(secretName: string, stripPrefix?: StripPrefix): string {
  const stripped = stripNamePrefix(secretName, stripPrefix);
  if (NON_ASCII.test(stripped)) {
    throw new UsageError(`secret ${quoteName(secretName)} cannot be an environment variable name: it contains non-ASCII characters`);
  }
  const varName = stripped.replace(/[^A-Za-z0-9]/g, '_').toUpperCase();
  if (!VARIABLE_NAME.test(varName)) {
    const why = varName === '' ? 'the name is empty' : 'it would start with a digit';
    throw new UsageError(`secret ${quoteName(secretName)} cannot be an environment variable name: ${why}`);
  }
  return varName;
}

/**
 * Variable names for a list of secret names, in the same order (rules 1–6 above): throws
 * UsageError naming both secrets when two map to one variable, or every secret whose variable is
 * dangerous and not in `allowEnv`.
 */
export function toVarNames(secretNames: Iterable<string>, stripPrefix?: StripPrefix, allowEnv: readonly string[] = []): string[] {
  const owners = new Map<string, string>();
  const result: string[] = [];
  const refused: Array<readonly [string, string]> = [];
  for (const name of secretNames) {
    const varName = toVarName(name, stripPrefix);
    const other = owners.get(varName);
    if (other !== undefined) {
      throw new UsageError(`secrets ${quoteName(other)} and ${quoteName(name)} would both become the environment variable ${varName}`);
    }
    if (isRefused(varName, allowEnv)) refused.push([name, varName]);
    owners.set(varName, name);
    result.push(varName);
  }
  if (refused.length > 0) throw refusedVariablesError(refused);
  return result;
}

/**
 * The secrets of a map with their variable names (the one naming rule above), for the
 * variable-assignment formats (dotenv, shell, github-env). Throws like {@link toVarNames}.
 */
export function variableEntries(secrets: SecretMap, stripPrefix?: StripPrefix, allowEnv?: readonly string[]): Array<readonly [name: string, value: string, varName: string]> {
  const entries = secretEntries(secrets);
  const varNames = toVarNames(
    entries.map(([name]) => name),
    stripPrefix,
    allowEnv,
  );
  return entries.map(([name, value], i) => [name, value, varNames[i] ?? ''] as const);
}
