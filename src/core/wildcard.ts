/**
 * Secret-name globs. credstash turns `*` into the regular expression `.*` without escaping
 * anything else (credstash-format.md §3.2, a defect listed in §6); keystash treats `*` as the
 * only wildcard and matches every other character literally.
 */

/** True when `pattern` contains the wildcard character. */
export function isPattern(pattern: string): boolean {
  return pattern.includes('*');
}

/** Compile a glob (only `*` is special; it matches any run of characters, including none). */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

/** The names (in input order, without duplicates) that match `pattern`. */
export function expandWildcard(pattern: string, names: Iterable<string>): string[] {
  const re = globToRegExp(pattern);
  const out = new Set<string>();
  for (const name of names) if (re.test(name)) out.add(name);
  return [...out];
}
