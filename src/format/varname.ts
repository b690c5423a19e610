/**
 * The one rule that turns a secret name into an environment variable name, shared by the dotenv,
 * shell and github-env renderers:
 *
 * 1. if `stripPrefix` is given and the name starts with it, that prefix is removed;
 * 2. a name containing any non-ASCII character is refused (never transliterated or dropped);
 * 3. ASCII letters are upper-cased and every character other than `A–Z a–z 0–9` becomes `_`;
 * 4. the result must match `^[A-Za-z_][A-Za-z0-9_]*$` (so: not empty, not starting with a
 *    digit), otherwise the secret is refused;
 * 5. two secrets that end up with the same variable name are refused, naming both.
 *
 * Refusals are UsageErrors naming the secret. credstash's own dotenv output upper-cased with
 * `str.upper()` and kept `.`/`-` (credstash-format.md §3.8), which shells cannot source; this rule
 * replaces it on purpose.
 */
import { UsageError } from '../errors.js';
import { quoteName, secretEntries } from './types.js';
import type { SecretMap } from './types.js';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NON_ASCII = /[^\x00-\x7f]/;

/** The environment variable name for one secret name (rules 1–4 above). */
export function toVarName(secretName: string, stripPrefix?: string): string {
  const stripped = stripPrefix && secretName.startsWith(stripPrefix) ? secretName.slice(stripPrefix.length) : secretName;
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
 * Variable names for a list of secret names, in the same order (rules 1–5 above): throws
 * UsageError naming both secrets when two map to one variable.
 */
export function toVarNames(secretNames: Iterable<string>, stripPrefix?: string): string[] {
  const owners = new Map<string, string>();
  const result: string[] = [];
  for (const name of secretNames) {
    const varName = toVarName(name, stripPrefix);
    const other = owners.get(varName);
    if (other !== undefined) {
      throw new UsageError(`secrets ${quoteName(other)} and ${quoteName(name)} would both become the environment variable ${varName}`);
    }
    owners.set(varName, name);
    result.push(varName);
  }
  return result;
}

/**
 * The secrets of a map with their variable names (the one naming rule above), for the
 * variable-assignment formats (dotenv, shell, github-env). Throws like {@link toVarNames}.
 */
export function variableEntries(secrets: SecretMap, stripPrefix?: string): Array<readonly [name: string, value: string, varName: string]> {
  const entries = secretEntries(secrets);
  const varNames = toVarNames(
    entries.map(([name]) => name),
    stripPrefix,
  );
  return entries.map(([name, value], i) => [name, value, varNames[i] ?? ''] as const);
}
