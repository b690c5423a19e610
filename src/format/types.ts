/**
 * Shared types of the output renderers (docs/format.md §3.8). A renderer is a pure function
 * from name/value pairs to text; it throws only UsageError, naming the secret it cannot write.
 */
import { UsageError } from '../errors.js';

/** Secrets to render: name → plaintext value, as ordered pairs or a Map. Names are unique. */
export type SecretMap = ReadonlyArray<readonly [name: string, value: string]> | ReadonlyMap<string, string>;

/** Options some renderers use; the others ignore them. */
export interface FormatOptions {
  /** varname.ts: removed from the start of each secret name before it becomes a variable name (one or several; the longest match). */
  stripPrefix?: string | readonly string[] | undefined;
  /** varname.ts rule 6: dangerous variable names (PATH, LD_PRELOAD, …) a secret may set anyway. */
  allowEnv?: readonly string[] | undefined;
  /** csv: prefix cells starting with = + - @ (TAB, CR) with `'` against formula injection. */
  csvSafe?: boolean | undefined;
  /** k8s-secret: `metadata.name` of the Secret (required by that format). */
  k8sName?: string | undefined;
  /** k8s-secret: `metadata.namespace` (a DNS label); omitted when not given. */
  k8sNamespace?: string | undefined;
  /** k8s-secret: keys are variable names (varname.ts, with `stripPrefix`/`allowEnv`), for `envFrom`. */
  envKeys?: boolean | undefined;
}

/** A renderer: pure, deterministic unless documented, UsageError for what it cannot represent. */
export type Renderer = (secrets: SecretMap, options?: FormatOptions) => string;

/**
 * The pairs of `secrets` in their given order; a name given twice is a UsageError (no renderer
 * can say which value was meant).
 */
export function secretEntries(secrets: SecretMap): Array<readonly [name: string, value: string]> {
  const list: Array<readonly [string, string]> = isPairList(secrets) ? [...secrets] : [...secrets.entries()];
  const seen = new Set<string>();
  for (const [name] of list) {
    if (seen.has(name)) throw new UsageError(`secret ${quoteName(name)} is given twice`);
    seen.add(name);
  }
  return list;
}

/** A secret name for an error message: JSON-quoted so it stays on one line. Never a value. */
export function quoteName(name: string): string {
  return JSON.stringify(name);
}

/** Compare strings by Unicode code point (Python's `sorted` order), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      // At the first differing unit codePointAt yields the whole code point (or, after an equal
      // high surrogate, the low surrogate), so this orders astral characters after U+FFFF.
      return (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0);
    }
  }
  return a.length - b.length;
}

function isPairList(secrets: SecretMap): secrets is ReadonlyArray<readonly [string, string]> {
  return Array.isArray(secrets);
}

/**
 * Where a value refused by a variable format can go instead: `shell` carries any value but NUL
 * (no environment variable can hold one), `json` and `k8s-secret` carry every value.
 */
export function otherFormats(value: string): string {
  return value.includes('\0') ? 'use the json or k8s-secret format instead' : 'use the shell or json format instead';
}
