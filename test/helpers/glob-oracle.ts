/**
 * A second, independent reading of keystash's secret-name globs (only `*` is special and matches
 * any run of characters, newlines included) as a regular expression: the oracle the property tests
 * compare src/core/secrets/wildcard.ts `matchesGlob` against. Not used by keystash itself, which
 * never builds a RegExp from a pattern (V8 backtracks some in polynomial time).
 */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
