// primitives.ts (OpenSSL through node:crypto) against an independent implementation
// (@noble/ciphers, @noble/hashes) on random inputs, and the edge cases seal/open rely on.
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { describe, expect, it } from 'vitest';
import { aes256Ctr, equalConstantTime, gcmDecrypt, gcmEncrypt, hmacOf, randomBytes, scryptKey, sha256Hex } from '../../../src/envelope/primitives.js';

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const block16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const NOBLE = { sha1, sha224, sha256, sha384, sha512, md5 } as const;

describe('aes256Ctr', () => {
  it('equals @noble ctr for random keys, counters and lengths', () => {
    fc.assert(
      fc.property(key32, block16, fc.uint8Array({ maxLength: 2000 }), (key, counter, data) => {
        expect(aes256Ctr(key, counter, data)).toEqual(ctr(key, counter.slice()).encrypt(data));
      }),
      { numRuns: 200 },
    );
  });

  it('carries the count across all 128 bits (the counter block is one big-endian number)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    // Low 64 bits all ones: the third block must carry into the high half, as PyCrypto's Counter.new(128).
    const counter = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0x41, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
    const data = new Uint8Array(16 * 5);
    expect(aes256Ctr(key, counter, data)).toEqual(ctr(key, counter.slice()).encrypt(data));
    const allOnes = new Uint8Array(16).fill(0xff);
    expect(aes256Ctr(key, allOnes, data)).toEqual(ctr(key, allOnes.slice()).encrypt(data));
  });

  it('is its own inverse and leaves its inputs alone', () => {
    const key = randomBytes(32);
    const counter = randomBytes(16);
    const data = randomBytes(100);
    const [k, c, d] = [key.slice(), counter.slice(), data.slice()];
    expect(aes256Ctr(key, counter, aes256Ctr(key, counter, data))).toEqual(data);
    expect([key, counter, data]).toEqual([k, c, d]);
  });

  it('refuses a counter block of the wrong length', () => {
    expect(() => aes256Ctr(new Uint8Array(32), new Uint8Array(12), new Uint8Array(1))).toThrow(RangeError);
  });
});

describe('hmacOf', () => {
  it('equals @noble hmac for every algorithm, including keys longer than the block', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(NOBLE) as (keyof typeof NOBLE)[])),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 1000 }),
        (algorithm, key, data) => {
          expect(hmacOf(algorithm, key, data)).toEqual(hmac(NOBLE[algorithm], key, data));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('equalConstantTime', () => {
  it('agrees with plain comparison, lengths included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(equalConstantTime(a, b)).toBe(same);
        expect(equalConstantTime(a, a.slice())).toBe(true);
      }),
    );
  });

  it('sees a difference in the last byte', () => {
    const a = randomBytes(32);
    const b = a.slice();
    b[31] = (b[31]! + 1) & 0xff;
    expect(equalConstantTime(a, b)).toBe(false);
  });
});

describe('gcmEncrypt / gcmDecrypt', () => {
  it('equal @noble gcm both ways', () => {
    fc.assert(
      fc.property(key32, fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 500 }), (key, nonce, aad, data) => {
        const sealed = gcmEncrypt(key, nonce, aad, data);
        expect(sealed).toEqual(gcm(key, nonce, aad).encrypt(data));
        expect(gcmDecrypt(key, nonce, aad, sealed)).toEqual(data);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a changed tag, a changed AAD and a blob shorter than its tag', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = gcmEncrypt(key, nonce, new Uint8Array([1]), new Uint8Array([1, 2, 3]));
    const flipped = sealed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => gcmDecrypt(key, nonce, new Uint8Array([1]), flipped)).toThrow();
    expect(() => gcmDecrypt(key, nonce, new Uint8Array([2]), sealed)).toThrow();
    expect(() => gcmDecrypt(key, nonce, new Uint8Array([1]), sealed.subarray(0, 15))).toThrow(RangeError);
  });
});

describe('randomBytes', () => {
  it('returns the length asked for, different each time', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(a).toHaveLength(32);
    expect(equalConstantTime(a, b)).toBe(false);
    expect(randomBytes(0)).toHaveLength(0);
  });
});

describe('sha256Hex', () => {
  it('equals @noble sha256 of the UTF-8 bytes, for any string (lone surrogates included)', () => {
    fc.assert(
      fc.property(binaryString({ maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(bytesToHex(sha256(utf8ToBytes(text))));
      }),
      { numRuns: 200 },
    );
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2
  });
});

describe('scryptKey', () => {
  it('equals RFC 7914 §12 (N=1024, r=8, p=16) and @noble scrypt on random inputs', () => {
    const rfc = scryptKey(utf8ToBytes('password'), utf8ToBytes('NaCl'), { N: 1024, r: 8, p: 16, dkLen: 64 });
    expect(bytesToHex(rfc)).toBe('fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.constantFrom(1024, 2048), fc.integer({ min: 1, max: 4 }), (password, salt, N, r) => {
        expect(scryptKey(password, salt, { N, r, p: 1, dkLen: 32 })).toEqual(scrypt(password, salt, { N, r, p: 1, dkLen: 32 }));
      }),
      { numRuns: 10 },
    );
  });

  it("needs more than OpenSSL's default 32 MiB at the cost new sealed keyrings use (N=2^17, r=8) and still derives", () => {
    expect(scryptKey(utf8ToBytes('pw'), utf8ToBytes('salt'), { N: 2 ** 17, r: 8, p: 1, dkLen: 32 })).toHaveLength(32);
  });
});
