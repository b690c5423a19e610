import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONCEALED, SecretMasker, maskPatterns } from '../../../src/core/process/mask.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Feed `chunks` through a fresh masker for `values`, return the whole output. */
function mask(values: string[], chunks: Array<string | Uint8Array>): string {
  const masker = new SecretMasker(maskPatterns(values));
  const parts = chunks.map((c) => masker.write(typeof c === 'string' ? enc(c) : c));
  parts.push(masker.end());
  return dec(Buffer.concat(parts));
}

describe('maskPatterns', () => {
  it('keeps values and lines of 4 code points or more, longest (in bytes) first', () => {
    const patterns = maskPatterns(['abc', 'abcd', '\u{1F600}\u{1F600}\u{1F600}\u{1F600}', '']).map(dec);
    expect(patterns).toEqual(['\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00', '%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80', '\u{1F600}\u{1F600}\u{1F600}\u{1F600}', 'abcd']);
  });

  it('adds a multi-line value with LF and with CR LF line breaks, and the JSON-escaped and URL-encoded forms (as GitHub\'s runner)', () => {
    const patterns = new Set(maskPatterns(['line-one\nxy\r\nline-two', "it's (a) p@ss!"]).map(dec));
    for (const p of ['line-one\nxy\r\nline-two', 'line-one\nxy\nline-two', 'line-one\r\nxy\r\nline-two', 'line-one', 'line-two', 'line-one\\nxy\\r\\nline-two', 'line-one%0Axy%0D%0Aline-two']) {
      expect(patterns).toContain(p);
    }
    expect(patterns).toContain("it's (a) p@ss!");
    expect(patterns).toContain("it's%20(a)%20p%40ss!");
    expect(patterns).toContain('it%27s%20%28a%29%20p%40ss%21');
    expect(patterns).not.toContain('xy');
  });
});

describe('SecretMasker', () => {
  it('replaces every occurrence, leaves short values and other text alone', () => {
    expect(mask(['hunter2', 'abc'], ['pw=hunter2; again hunter2; abc'])).toBe(`pw=${CONCEALED}; again ${CONCEALED}; abc`);
    expect(mask(['hunter2'], ['nothing here\n'])).toBe('nothing here\n');
  });

  it('masks a value written one byte at a time, releasing nothing of it early', () => {
    const masker = new SecretMasker(maskPatterns(['s3cr3t-value']));
    let released = '';
    for (const byte of enc('before s3cr3t-value after')) released += dec(masker.write(Uint8Array.of(byte)));
    expect(released).not.toContain('s3cr3t');
    expect(released + dec(masker.end())).toBe(`before ${CONCEALED} after`);
  });

  it('masks a multi-line value whole and each of its lines printed on its own', () => {
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----\n';
    // One replacement per line, the value's line breaks kept (the next output starts a new line).
    expect(mask([pem], [`key: ${pem}`, 'next\n'])).toBe(`key: ${CONCEALED}\n${CONCEALED}\n${CONCEALED}\nnext\n`);
    expect(mask([pem], [`key: ${pem.replaceAll('\n', '\r\n')}`])).toBe(`key: ${CONCEALED}\r\n${CONCEALED}\r\n${CONCEALED}\r\n`);
    expect(mask([pem], ['> MIIEvQIBADANBgkq <\n'])).toBe(`> ${CONCEALED} <\n`);
    expect(mask([pem], [pem.replaceAll('\n', '\r\n')])).toBe(`${CONCEALED}\r\n${CONCEALED}\r\n${CONCEALED}\r\n`);
  });

  it('prefers the longest pattern at one position, even when it arrives later', () => {
    expect(mask(['abcd', 'abcdefgh'], ['xx abcd', 'efgh yy'])).toBe(`xx ${CONCEALED} yy`);
    expect(mask(['abcd', 'abcdefgh'], ['xx abcd', 'eX'])).toBe(`xx ${CONCEALED}eX`);
    expect(mask(['abcd'], ['ab'])).toBe('ab');
  });

  it('conceals overlapping values together: no part of either is left (a user name that starts a token)', () => {
    const user = 'deploy-bot';
    const token = 'bot-7f3a9c1e5d2b8a4f6c0e';
    expect(mask([user, token], [`auth deploy-${token} end`])).toBe(`auth ${CONCEALED} end`);
    expect(mask([user, token], ['auth deploy-bot-7f3a', '9c1e5d2b8a4f6c0e end'])).toBe(`auth ${CONCEALED} end`);
    expect(mask(['deploy', token], [`x deploy ${token}`])).toBe(`x ${CONCEALED} ${CONCEALED}`);
  });

  it('conceals the JSON-escaped and URL-encoded forms of a value', () => {
    const value = 'p@ss "word"/x';
    expect(mask([value], [`{"pw":${JSON.stringify(value)}}`])).toBe(`{"pw":"${CONCEALED}"}`);
    expect(mask([value], [`?pw=${encodeURIComponent(value)}&`])).toBe(`?pw=${CONCEALED}&`);
  });

  it("conceals the spellings of Python's json.dumps and quote_plus and Go's encoding/json", () => {
    const value = 'p\u00e4 ss<&>\u007f\u{1f600}"/x';
    // Printed by python3: json.dumps(value), urllib.parse.quote_plus(value).
    const python = ['"p\\u00e4 ss<&>\\u007f\\ud83d\\ude00\\"/x"', 'p%C3%A4+ss%3C%26%3E%7F%F0%9F%98%80%22%2Fx'];
    // Go's json.Marshal: HTML characters escaped, the rest as UTF-8.
    const go = '"p\u00e4 ss\\u003c\\u0026\\u003e\u007f\u{1f600}\\"/x"';
    for (const printed of [...python, go]) {
      expect(mask([value], [`pw=${printed};`])).not.toContain('ss');
    }
    expect(mask([value], [`pw=${python[1]};`])).toBe(`pw=${CONCEALED};`);
  });

  it('handles multi-byte UTF-8 split inside a character', () => {
    const bytes = enc('\u00e9t\u00e9 caf\u00e9s');
    expect(mask(['caf\u00e9s'], [...bytes].map((b) => Uint8Array.of(b)))).toBe(`\u00e9t\u00e9 ${CONCEALED}`);
  });

  it('never lets a value through, however the output is split (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 12 }).filter((s) => !/[\r\n]/.test(s) && [...s].length >= 4),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (secret, before, after, cuts) => {
          const text = enc(`${before}${secret}${after}`);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.subarray(last, p));
            last = p;
          }
          const masker = new SecretMasker(maskPatterns([secret]));
          const out = Buffer.concat([...chunks.map((c) => masker.write(c)), masker.end()]);
          expect(out.includes(Buffer.from(secret))).toBe(false);
          expect(out.includes(Buffer.from(CONCEALED))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never lets a character of two overlapping values through, however the output is split (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{8,16}$/),
        fc.integer({ min: 1, max: 6 }),
        fc.stringMatching(/^[A-Z]{4,10}$/),
        fc.array(fc.nat(), { maxLength: 6 }),
        (base, overlap, tail, cuts) => {
          // first = base, second = the last `overlap` characters of base followed by tail.
          const second = base.slice(-overlap) + tail;
          const text = enc(`<${base}${tail}>`);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.subarray(last, p));
            last = p;
          }
          const masker = new SecretMasker(maskPatterns([base, second]));
          const out = dec(Buffer.concat([...chunks.map((c) => masker.write(c)), masker.end()]));
          expect(out).toBe(`<${CONCEALED}>`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
