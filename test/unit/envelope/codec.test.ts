// codec.ts: the only place bytes become base64 / hex / UTF-8 text and back (docs/conventions.md §7).
// Decoders are strict: what does not decode exactly is a damaged row (IntegrityError).
import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import {
  asciiToBytes, base64ToBytes, bytesToAscii, bytesToBase64, bytesToHex, bytesToUtf8, hexToBytes, utf8ToBytes,
} from '../../../src/envelope/codec.js';

describe('bytesToBase64 / base64ToBytes', () => {
  it('round-trips any bytes and matches the standard alphabet with padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(text.length % 4).toBe(0);
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
    );
  });

  it('encodes only the viewed part of a subarray', () => {
    const whole = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(bytesToBase64(whole.subarray(2, 4))).toBe(Buffer.from([3, 4]).toString('base64'));
  });

  it('maps the empty string to no bytes (an empty secret stores contents = "")', () => {
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
  });

  it('decodes multi-megabyte text (a ~3.5 MB secret was stored but overflowed the stack on read)', () => {
    for (const size of [5_000_000, 5_000_001, 5_000_002]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 31) % 256);
      expect(Buffer.from(base64ToBytes(bytesToBase64(bytes))).equals(bytes)).toBe(true);
    }
    expect(() => base64ToBytes(`${'A'.repeat(8_000_000)}A===`)).toThrow(IntegrityError);
    const hex = bytesToHex(new Uint8Array(4_000_000).fill(0xab));
    expect(hexToBytes(hex).length).toBe(4_000_000);
  });

  it.each([
    ['missing padding', 'kQ'],
    ['missing one pad', 'kQ='],
    ['bad character', 'kQ!='],
    ['URL-safe alphabet', 'a-_b'],
    ['whitespace', 'kQ== '],
    ['line break', 'YWJj\nZGVm'],
    ['padding in the middle', 'kQ==kQ=='],
    ['lone padding', '===='],
    ['length 5', 'YWJjZ'],
  ])('rejects %s with IntegrityError naming the field', (_, text) => {
    expect(() => base64ToBytes(text, 'contents')).toThrow(IntegrityError);
    expect(() => base64ToBytes(text, 'contents')).toThrow('INTEGRITY ERROR: stored contents is not valid base64');
  });
});

describe('bytesToHex / hexToBytes', () => {
  it('writes lower-case hex and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToHex(bytes);
        expect(text).toMatch(/^[0-9a-f]*$/);
        expect(text.length).toBe(bytes.length * 2);
        expect(hexToBytes(text)).toEqual(bytes);
        expect(hexToBytes(text.toUpperCase())).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['odd length', 'abc'],
    ['non-hex digit', 'zz'],
    ['0x prefix', '0x00'],
    ['whitespace', '00 11'],
    ['trailing newline', '0011\n'],
    ['sign', '-1'],
  ])('rejects %s with IntegrityError naming the field', (_, text) => {
    expect(() => hexToBytes(text)).toThrow('INTEGRITY ERROR: stored hmac is not valid hex');
    expect(() => hexToBytes(text, 'data key')).toThrow(/stored data key is not valid hex/);
  });
});

describe('utf8ToBytes / bytesToUtf8', () => {
  it('round-trips well-formed strings, including astral characters', () => {
    fc.assert(
      fc.property(binaryString({ maxLength: 100 }).filter((s) => s.isWellFormed()), (text) => {
        const bytes = utf8ToBytes(text);
        expect(bytes).toEqual(new Uint8Array(Buffer.from(text, 'utf8')));
        expect(bytesToUtf8(bytes)).toBe(text);
      }),
    );
    expect(utf8ToBytes('a\u00e9\u20ac\u{1F600}')).toEqual(Uint8Array.from([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]));
  });

  it('keeps a leading byte-order mark and NUL characters (values are opaque)', () => {
    expect(bytesToUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]))).toBe('\ufeffa');
    expect(bytesToUtf8(Uint8Array.from([0x61, 0x00, 0x62]))).toBe('a\u0000b');
  });

  it.each([
    ['invalid byte', [0xff]],
    ['lone continuation byte', [0x80]],
    ['overlong encoding', [0xc0, 0x80]],
    ['encoded surrogate', [0xed, 0xa0, 0x80]],
    ['truncated sequence', [0xe2, 0x82]],
    ['code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ])('rejects %s with IntegrityError (credstash §2.3)', (_, bytes) => {
    expect(() => bytesToUtf8(Uint8Array.from(bytes))).toThrow(IntegrityError);
    expect(() => bytesToUtf8(Uint8Array.from(bytes))).toThrow('INTEGRITY ERROR: decrypted value is not valid UTF-8');
  });
});

describe('asciiToBytes / bytesToAscii (hex text inside a DynamoDB B attribute)', () => {
  it('round-trips hex text byte for byte', () => {
    const hex = 'a26c057b637f005a3fb924c7f4ace1ce70bb88e5bd6088635d079307052dc266';
    const bytes = asciiToBytes(hex);
    expect(bytes.length).toBe(64);
    expect(bytes[0]).toBe(0x61);
    expect(bytesToAscii(bytes)).toBe(hex);
    expect(bytesToBase64(bytes)).toBe('YTI2YzA1N2I2MzdmMDA1YTNmYjkyNGM3ZjRhY2UxY2U3MGJiODhlNWJkNjA4ODYzNWQwNzkzMDcwNTJkYzI2Ng==');
  });
});
