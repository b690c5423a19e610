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
const MIN_MASKED_LENGTH = 4;

const encoder = new TextEncoder();

/**
 * The byte strings to conceal for `values`: each value and each line of it (split at LF, CR LF
 * and CR) of at least {@link MIN_MASKED_LENGTH} code points; a multi-line value also with its line
 * breaks written as LF and as CR LF (a program may print it either way); and each of those in the
 * JSON-escaped and URL-encoded forms a program may log, as GitHub's runner registers them
 * (actions/runner, ValueEncoders.JsonStringEscape and UriDataEscape; .NET's EscapeDataString
 * also escapes ! ' ( ) *, which encodeURIComponent leaves, so both spellings are added), plus the
 * spellings of the commonest other encoders: JSON with non-ASCII escaped (Python, Go), and form
 * encoding with '+' for a space (Python's quote_plus).
 * De-duplicated, longest first.
 */
export function maskPatterns(values: Iterable<string>): Uint8Array[] {
  const texts = new Set<string>();
  const add = (text: string) => {
    if ([...text].length < MIN_MASKED_LENGTH) return;
    texts.add(text);
    const json = JSON.stringify(text).slice(1, -1);
    texts.add(json);
    // Python's json.dumps (ensure_ascii, its default) writes DEL and every non-ASCII UTF-16 unit
    // as \uxxxx; Go's encoding/json writes < > & U+2028 U+2029 that way (HTML-safe, its default).
    texts.add(json.replace(/[\u007f-\uffff]/g, unicodeEscape));
    texts.add(json.replace(/[<>&\u2028\u2029]/g, unicodeEscape));
    const uri = encodeURIComponent(text);
    texts.add(uri);
    const strict = uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    texts.add(strict);
    // Form encoding (Python's quote_plus, HTML forms, Go's QueryEscape): a space is '+'.
    texts.add(strict.replaceAll('%20', '+'));
    texts.add(uri.replaceAll('%20', '+'));
  };
  for (const value of values) {
    add(value);
    if (!/[\r\n]/.test(value)) continue;
    add(value.replace(/\r\n|\r|\n/g, '\n'));
    add(value.replace(/\r\n|\r|\n/g, '\r\n'));
    for (const line of value.split(/\r\n|\r|\n/)) add(line);
  }
  return [...texts].map((text) => encoder.encode(text)).sort((a, b) => b.length - a.length);
}

/** `c` (one UTF-16 unit) as a JSON \uxxxx escape, lower-case hex as Python and Go write it. */
function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One output stream's masker: feed it chunks with {@link SecretMasker.write}, then call
 * {@link SecretMasker.end}; the concatenated results are the input with every pattern replaced.
 * Overlapping matches are merged and concealed as one; line breaks inside a concealed stretch are
 * kept (one replacement per line), so a multi-line value still ends its line.
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
    const hold = final ? data.length : this.#holdStart(data, 0);
    // Every complete match, merged where they overlap: values that share characters (a user name
    // that is the start of a token) are concealed together, never one half left in the clear.
    const ranges: [start: number, end: number][] = [];
    for (const [start, end] of this.#matches(data)) {
      const last = ranges.at(-1);
      if (last && start < last[1]) last[1] = Math.max(last[1], end);
      else ranges.push([start, end]);
    }
    const out: Buffer[] = [];
    let i = 0;
    for (const [start, end] of ranges) {
      // A range reaching into the held tail may still grow with a match completed by later bytes.
      if (!final && end > hold) break;
      out.push(data.subarray(i, start), this.#conceal(data.subarray(start, end)));
      i = end;
    }
    const release = final ? data.length : Math.max(i, Math.min(hold, ranges.find(([, end]) => end > hold)?.[0] ?? hold));
    out.push(data.subarray(i, release));
    this.#pending = Buffer.from(data.subarray(release));
    return Buffer.concat(out);
  }

  /** Every occurrence of every pattern in `data`, as [start, end), sorted by start. */
  #matches(data: Buffer): [number, number][] {
    const found: [number, number][] = [];
    for (const pattern of this.#patterns) {
      for (let at = data.indexOf(pattern); at >= 0; at = data.indexOf(pattern, at + 1)) found.push([at, at + pattern.length]);
    }
    return found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  }

  /** The replacement for concealed bytes: one per line, the line breaks they contained kept. */
  #conceal(bytes: Buffer): Buffer {
    const parts: Buffer[] = [];
    let line = 0;
    for (let j = 0; j < bytes.length; j++) {
      const byte = bytes[j];
      if (byte !== 0x0a && byte !== 0x0d) continue;
      if (j > line) parts.push(this.#replacement);
      parts.push(bytes.subarray(j, j + 1));
      line = j + 1;
    }
    if (bytes.length > line) parts.push(this.#replacement);
    return Buffer.concat(parts);
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
