/** fast-check arbitraries shared by the property tests. */
import fc from 'fast-check';

const SURROGATES = 0xe000 - 0xd800;

/**
 * One code point of the whole range but the surrogate halves: what fast-check's `unit: 'binary'`
 * draws, without its cost. The first `fc.string({ unit: 'binary' })` a process builds maps all
 * 1 114 112 code points back to their indexes (~1 s on Node 20, in every test worker that runs
 * a file using it); this draws an index (fast-check's integers: biased toward small values and
 * the ends) and maps it past the surrogate block.
 */
export const anyCodePoint: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 0x10ffff - SURROGATES })
  .map((i) => String.fromCodePoint(i < 0xd800 ? i : i + SURROGATES));

/** `fc.string({ unit: 'binary', … })`: well-formed strings of any code point. */
export function binaryString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ ...constraints, unit: anyCodePoint });
}
