/**
 * Streaming redaction of secret values in a child's output (`exec --mask`), as `op run` and
 * `doppler run` do: every occurrence of a value of {@link MIN_MASKED_LENGTH} characters or more —
 * and of each such line of a multi-line value, so line-by-line printing is caught too — becomes
 * {@link CONCEALED}. Works on bytes (output need not be UTF-8, and a value's bytes may arrive split
 * across any number of reads): bytes that could still be the start of a value are held back until
 * the rest arrives or the stream ends, never released half-way through a value.
 */

/** What a masked value is replaced with. */
export const CONCEALED = '<concealed by keystash>';

/** Shorter values (and lines) are left alone: masking `on` or `1` would garble unrelated output. */
export const MIN_MASKED_LENGTH = 4;

const encoder = new TextEncoder();

/**
 * The byte strings to conceal for `values`: each value and each line of it (split at LF, CR LF
 * and CR) of at least {@link MIN_MASKED_LENGTH} code points, de-duplicated, longest first.
 */
export function maskPatterns(values: Iterable<string>): Uint8Array[] {
  const texts = new Set<string>();
  for (const value of values) {
    for (const text of [value, ...value.split(/\r\n|\r|\n/)]) {
      if ([...text].length >= MIN_MASKED_LENGTH) texts.add(text);
    }
  }
  return [...texts].map((text) => encoder.encode(text)).sort((a, b) => b.length - a.length);
}

/**
 * One output stream's masker: feed it chunks with {@link SecretMasker.write}, then call
 * {@link SecretMasker.end}; the concatenated results are the input with every pattern replaced.
 * Where patterns overlap, the earliest match wins, then the longest.
 */
export class SecretMasker {
  readonly #patterns: readonly Buffer[];
  readonly #maxLength: number;
  readonly #replacement: Buffer;
  #pending: Buffer = Buffer.alloc(0);

  constructor(patterns: readonly Uint8Array[], replacement: string = CONCEALED) {
    this.#patterns = patterns.filter((p) => p.length > 0).map((p) => Buffer.from(p));
    this.#maxLength = Math.max(0, ...this.#patterns.map((p) => p.length));
    this.#replacement = Buffer.from(replacement, 'utf8');
  }

  /** Masked output that is safe to release now (possibly empty); the rest is held. */
  write(chunk: Uint8Array): Uint8Array {
    return this.#process(Buffer.concat([this.#pending, chunk]), false);
  }

  /** Everything still held, masked: call once when the stream ends. */
  end(): Uint8Array {
    return this.#process(this.#pending, true);
  }

  #process(data: Buffer, final: boolean): Uint8Array {
    const out: Buffer[] = [];
    let i = 0;
    for (;;) {
      const [at, length] = this.#earliestMatch(data, i);
      const hold = final ? data.length : this.#holdStart(data, i);
      if (at < 0 || at >= hold) {
        out.push(data.subarray(i, hold));
        this.#pending = Buffer.from(data.subarray(hold));
        return Buffer.concat(out);
      }
      out.push(data.subarray(i, at), this.#replacement);
      i = at + length;
    }
  }

  /** Position and length of the earliest (then longest) complete pattern at or after `from`. */
  #earliestMatch(data: Buffer, from: number): [at: number, length: number] {
    let at = -1;
    let length = 0;
    for (const pattern of this.#patterns) {
      const found = data.indexOf(pattern, from);
      if (found >= 0 && (at < 0 || found < at || (found === at && pattern.length > length))) {
        at = found;
        length = pattern.length;
      }
    }
    return [at, length];
  }

  /** The first position from which the rest of `data` is a proper prefix of a pattern (or its end). */
  #holdStart(data: Buffer, from: number): number {
    for (let j = Math.max(from, data.length - this.#maxLength + 1); j < data.length; j++) {
      const tail = data.subarray(j);
      if (this.#patterns.some((p) => p.length > tail.length && p[0] === tail[0] && p.subarray(0, tail.length).equals(tail))) return j;
    }
    return data.length;
  }
}
