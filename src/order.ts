/**
 * The one string order of keystash's sorted output (names, context keys): JavaScript's `<` on
 * strings, i.e. UTF-16 code-unit order — the same on every platform and locale, and the order
 * credstash's Python `sorted()` gives for names in the Basic Multilingual Plane. Byte order of
 * stored versions (SQLite, DynamoDB) is a different thing: see core/secrets/versions.ts byteOrder.
 */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
