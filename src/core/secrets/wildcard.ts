/**
 * Secret-name globs. credstash turns `*` into the regular expression `.*` without escaping
 * anything else (docs/format.md §3.2, a defect listed in §6); keystash treats `*` as the
 * only wildcard and matches every other character literally.
 */

/** True when `pattern` contains the wildcard character. */
export function isPattern(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * True when `name` matches the glob `pattern` (only `*` is special). Not a regular expression:
 * V8 backtracks `^a.*a.*a.*a.*b$` in polynomial time (a 5-star pattern against a 200-character
 * name took seconds), so a pattern is matched by the greedy two-pointer walk, which revisits
 * only the last `*` and is at worst O(pattern × name).
 */
export function matchesGlob(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The names (in input order, without duplicates) that match `pattern`. */
export function expandWildcard(pattern: string, names: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const name of names) if (matchesGlob(pattern, name)) out.add(name);
  return [...out];
}
