// seal/open: published vectors for the primitives (OpenSSL through primitives.ts), cross-checks
// against an independent implementation (@noble/ciphers + @noble/hashes), round-trip and tamper
// properties, input validation and key hygiene (docs/conventions.md §13).
import { readFileSync } from 'node:fs';
import { ctr, ecb } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { describe, expect, it } from 'vitest';
import { IntegrityError, UsageError } from '../../../src/errors.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../../src/envelope/codec.js';
import { DEFAULT_DIGEST, DIGESTS, DIGEST_NAMES, isDigestName, resolveDigest } from '../../../src/envelope/digests.js';
import type { DigestName } from '../../../src/envelope/digests.js';
import {
  AES_KEY_BYTES, DATA_KEY_BYTES, LEGACY_NONCE, open, openFields, seal, sealToFields, withDataKey,
} from '../../../src/envelope/seal.js';
import { aes256Ctr, equalConstantTime, hmacOf } from '../../../src/envelope/primitives.js';

interface NistVector {
  id: string;
  operation: 'encrypt' | 'decrypt';
  key: string;
  init_counter: string;
  counter_blocks: string[];
  output_blocks: string[];
  plaintext_blocks: string[];
  ciphertext_blocks: string[];
}
interface RfcVector {
  id: string;
  key: string;
  data: string;
  hmac: Partial<Record<DigestName, string>>;
}

const readVectors = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8')) as T;
const nist = readVectors<{ vectors: NistVector[] }>('nist-sp800-38a-ctr.json').vectors;
const rfc = readVectors<{ vectors: RfcVector[] }>('rfc4231-hmac.json').vectors;

const NOBLE_HASH: Record<DigestName, CHash> = { SHA: sha1, SHA224: sha224, SHA256: sha256, SHA384: sha384, SHA512: sha512, MD5: md5 };
const HEX_LENGTH: Record<DigestName, number> = { SHA: 40, SHA224: 56, SHA256: 64, SHA384: 96, SHA512: 128, MD5: 32 };
const K1 = Uint8Array.from({ length: 64 }, (_, i) => i);
const arbDataKey = fc.uint8Array({ minLength: DATA_KEY_BYTES, maxLength: DATA_KEY_BYTES });
const arbDigest = fc.constantFrom(...DIGEST_NAMES);

/** credstash's seal computed by an independent implementation (pure-JS @noble). */
function nobleSeal(plaintext: Uint8Array, dataKey: Uint8Array, digest: DigestName): { contents: Uint8Array; hmac: Uint8Array } {
  const contents = ctr(dataKey.slice(0, 32), LEGACY_NONCE.slice()).encrypt(plaintext);
  return { contents, hmac: hmac(NOBLE_HASH[digest], dataKey.slice(32), contents) };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('constants and digests (docs/format.md §2.2, §2.3)', () => {
  it('has the credstash constants', () => {
    expect(DATA_KEY_BYTES).toBe(64);
    expect(AES_KEY_BYTES).toBe(32);
    expect(bytesToHex(LEGACY_NONCE)).toBe('00000000000000000000000000000001');
    expect(DEFAULT_DIGEST).toBe('SHA256');
  });

  it('maps each name to a hash of the documented length, case-sensitively', () => {
    for (const name of DIGEST_NAMES) {
      expect(isDigestName(name)).toBe(true);
      expect(resolveDigest(name).hexLength).toBe(HEX_LENGTH[name]);
      expect(DIGESTS[name].outputLen * 2).toBe(HEX_LENGTH[name]);
      expect(DIGESTS[name].outputLen).toBe(NOBLE_HASH[name].outputLen);
    }
    for (const bad of ['sha256', 'Sha256', 'WHIRLPOOL', 'RIPEMD', 'MD4', '', 'toString', '__proto__', 'constructor']) {
      expect(isDigestName(bad)).toBe(false);
      expect(() => resolveDigest(bad)).toThrow(IntegrityError);
    }
    expect(resolveDigest(undefined).name).toBe('SHA256');
  });

  it('keeps the unknown-digest message on one line', () => {
    const error = thrown(() => resolveDigest('bad\nname'));
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toBe("unknown digest 'bad\\nname' (expected one of SHA, SHA224, SHA256, SHA384, SHA512, MD5)");
  });
});

describe('NIST SP 800-38A F.5.5 / F.5.6 (the ctr primitive seal uses)', () => {
  it('has vectors', () => expect(nist.length).toBeGreaterThan(0));
  for (const v of nist) {
    it(v.id, () => {
      const key = hexToBytes(v.key);
      const plaintext = hexToBytes(v.plaintext_blocks.join(''));
      const ciphertext = hexToBytes(v.ciphertext_blocks.join(''));
      const input = v.operation === 'encrypt' ? plaintext : ciphertext;
      const expected = v.operation === 'encrypt' ? ciphertext : plaintext;
      expect(aes256Ctr(key, hexToBytes(v.init_counter), input)).toEqual(expected);
      // The same through @noble, the cross-check implementation below.
      const cipher = ctr(key, hexToBytes(v.init_counter));
      expect(v.operation === 'encrypt' ? cipher.encrypt(input) : cipher.decrypt(input)).toEqual(expected);
      // The keystream is AES(counter block), the block counting up big-endian across the byte boundary.
      expect(ecb(key, { disablePadding: true }).encrypt(hexToBytes(v.counter_blocks.join('')))).toEqual(hexToBytes(v.output_blocks.join('')));
    });
  }
});

describe('RFC 4231 (the hmac primitive and DIGESTS)', () => {
  it('has vectors', () => expect(rfc.length).toBeGreaterThan(0));
  for (const v of rfc) {
    for (const [name, expected] of Object.entries(v.hmac)) {
      it(`${v.id} HMAC-${name}`, () => {
        if (!isDigestName(name) || expected === undefined) throw new Error(`bad digest name ${name} in vector file`);
        expect(bytesToHex(hmacOf(DIGESTS[name].algorithm, hexToBytes(v.key), hexToBytes(v.data)))).toBe(expected);
        expect(bytesToHex(hmac(NOBLE_HASH[name], hexToBytes(v.key), hexToBytes(v.data)))).toBe(expected);
      });
    }
  }
});

describe('seal', () => {
  it('matches @noble aes ctr + hmac on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), arbDataKey, arbDigest, (plaintext, dataKey, digest) => {
        const sealed = seal(plaintext, dataKey, digest);
        const reference = nobleSeal(plaintext, dataKey, digest);
        expect(sealed.contents).toEqual(reference.contents);
        expect(sealed.hmac).toEqual(reference.hmac);
        expect(sealed.digest).toBe(digest);
      }),
      { numRuns: 300 },
    );
  });

  it('matches @noble for a 400 KB value (counter carries over many blocks)', () => {
    const plaintext = new Uint8Array(400 * 1024);
    for (let i = 0; i < plaintext.length; i++) plaintext[i] = (i * 31) & 0xff;
    const sealed = seal(plaintext, K1);
    const reference = nobleSeal(plaintext, K1, 'SHA256');
    // Buffer.equals: vitest's deep equality is slow on 400 K elements.
    expect(Buffer.from(sealed.contents).equals(reference.contents)).toBe(true);
    expect(sealed.hmac).toEqual(reference.hmac);
    expect(Buffer.from(open(sealed, K1)).equals(plaintext)).toBe(true);
  });

  it('defaults to SHA256 and seals the empty value to empty contents', () => {
    const sealed = seal(new Uint8Array(0), K1);
    expect(sealed.digest).toBe('SHA256');
    expect(sealed.contents.length).toBe(0);
    expect(sealed.hmac.length).toBe(32);
  });

  it('rejects a data key that is not 64 bytes, naming the parameter', () => {
    for (const length of [0, 16, 32, 63, 65, 128]) {
      const error = thrown(() => seal(new Uint8Array(1), new Uint8Array(length)));
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/^dataKey must be 64 bytes/);
      expect(() => open({ contents: new Uint8Array(1), hmac: new Uint8Array(32) }, new Uint8Array(length))).toThrow(/dataKey must be 64 bytes/);
    }
  });

  it('rejects non-byte inputs and unknown digest names with UsageError', () => {
    expect(() => seal('text' as unknown as Uint8Array, K1)).toThrow(UsageError);
    expect(() => seal(new Uint8Array(1), Array.from(K1) as unknown as Uint8Array)).toThrow(/dataKey must be a Uint8Array/);
    expect(() => seal(new Uint8Array(1), K1, 'sha256')).toThrow(UsageError);
    expect(() => open({ contents: 'x' as unknown as Uint8Array, hmac: new Uint8Array(32) }, K1)).toThrow(/sealed.contents/);
  });

  it('does not modify the caller’s data key or plaintext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), arbDataKey, arbDigest, (plaintext, dataKey, digest) => {
        const keyCopy = dataKey.slice();
        const plaintextCopy = plaintext.slice();
        const sealed = seal(plaintext, dataKey, digest);
        const sealedCopy = { contents: sealed.contents.slice(), hmac: sealed.hmac.slice() };
        open(sealed, dataKey);
        expect(dataKey).toEqual(keyCopy);
        expect(plaintext).toEqual(plaintextCopy);
        expect(sealed.contents).toEqual(sealedCopy.contents);
        expect(sealed.hmac).toEqual(sealedCopy.hmac);
      }),
      { numRuns: 50 },
    );
  });

  it('is not affected by changes to the exported LEGACY_NONCE array', () => {
    const before = seal(utf8ToBytes('value'), K1);
    const saved = LEGACY_NONCE.slice();
    try {
      LEGACY_NONCE.fill(0xff);
      expect(seal(utf8ToBytes('value'), K1)).toEqual(before);
    } finally {
      LEGACY_NONCE.set(saved);
    }
  });
});

describe('open', () => {
  it('inverts seal: open(seal(x)) = x', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), arbDataKey, arbDigest, (plaintext, dataKey, digest) => {
        expect(open(seal(plaintext, dataKey, digest), dataKey)).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects any single-bit change of contents or hmac with IntegrityError and returns nothing', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        arbDataKey,
        arbDigest,
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (plaintext, dataKey, digest, inContents, index, bit) => {
          const sealed = seal(plaintext, dataKey, digest);
          const target = inContents ? sealed.contents : sealed.hmac;
          const at = index % target.length;
          target[at] = (target[at] ?? 0) ^ (1 << bit);
          let result: Uint8Array | undefined;
          const error = thrown(() => {
            result = open(sealed, dataKey);
          });
          expect(error).toBeInstanceOf(IntegrityError);
          expect((error as Error).message).toBe('INTEGRITY ERROR: Computed HMAC on %s does not match stored HMAC');
          expect(result).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects truncated or extended contents and hmac, a wrong key, and a wrong digest label', () => {
    const sealed = seal(utf8ToBytes('supersecretpassword1234'), K1, 'SHA256');
    const wrongKey = K1.slice();
    wrongKey[40] = (wrongKey[40] ?? 0) ^ 1;
    const cases = [
      { ...sealed, contents: sealed.contents.subarray(1) },
      { ...sealed, contents: sealed.contents.subarray(0, -1) },
      { ...sealed, contents: new Uint8Array([...sealed.contents, 0]) },
      { ...sealed, hmac: sealed.hmac.subarray(0, 31) },
      { ...sealed, hmac: new Uint8Array([...sealed.hmac, 0]) },
      { ...sealed, hmac: new Uint8Array(0) },
      { ...sealed, digest: 'SHA512' },
      { ...sealed, digest: 'SHA' },
    ];
    for (const input of cases) expect(() => open(input, K1)).toThrow(IntegrityError);
    expect(() => open(sealed, wrongKey)).toThrow(IntegrityError);
    expect(() => open({ ...sealed, digest: 'sha256' }, K1)).toThrow(IntegrityError);
  });

  it('reads a missing digest as SHA256', () => {
    const sealed = seal(utf8ToBytes('legacy'), K1, 'SHA256');
    expect(open({ contents: sealed.contents, hmac: sealed.hmac }, K1)).toEqual(utf8ToBytes('legacy'));
  });
});

describe('sealToFields / openFields', () => {
  it('round-trips any string through the stored text fields', () => {
    fc.assert(
      fc.property(binaryString({ maxLength: 200 }).filter((s) => s.isWellFormed()), arbDataKey, arbDigest, (text, dataKey, digest) => {
        const fields = sealToFields(text, dataKey, digest);
        expect(fields.hmac).toMatch(/^[0-9a-f]*$/);
        expect(fields.hmac.length).toBe(HEX_LENGTH[digest]);
        expect(openFields(fields, dataKey)).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects hex of the wrong length for the digest with credstash’s text', () => {
    const fields = sealToFields('value', K1, 'SHA256');
    for (const hmacText of [fields.hmac.slice(2), `${fields.hmac}00`, '', fields.hmac.slice(1)]) {
      const error = thrown(() => openFields({ ...fields, hmac: hmacText }, K1));
      expect(error).toBeInstanceOf(IntegrityError);
      expect((error as Error).message).toBe('INTEGRITY ERROR: Computed HMAC on %s does not match stored HMAC');
    }
  });

  it('rejects malformed base64 and hex, and plaintext that is not UTF-8', () => {
    const fields = sealToFields('value', K1, 'SHA256');
    expect(() => openFields({ ...fields, contents: `${fields.contents}!` }, K1)).toThrow(IntegrityError);
    expect(() => openFields({ ...fields, contents: fields.contents.replace(/=+$/, '') }, K1)).toThrow(IntegrityError);
    expect(() => openFields({ ...fields, hmac: `zz${fields.hmac.slice(2)}` }, K1)).toThrow(/not valid hex/);
    const notUtf8 = seal(new Uint8Array([0xff, 0xfe, 0x80]), K1);
    const stored = { contents: Buffer.from(notUtf8.contents).toString('base64'), hmac: bytesToHex(notUtf8.hmac), digest: 'SHA256' };
    expect(() => openFields(stored, K1)).toThrow(/not valid UTF-8/);
  });

  it('accepts upper-case hex and ignores extra record fields', () => {
    const fields = sealToFields('value', K1, 'MD5');
    const record = { name: 'n', version: '0000000000000000001', key: 'a2V5', ...fields, hmac: fields.hmac.toUpperCase() };
    expect(openFields(record, K1)).toBe('value');
  });
});

describe('withDataKey', () => {
  it('zeroes the key after a synchronous function and returns its result', () => {
    const key = K1.slice();
    const seen: number[] = [];
    const result = withDataKey(key, (k) => {
      seen.push(k[63] ?? -1);
      return sealToFields('x', k).digest;
    });
    expect(result).toBe('SHA256');
    expect(seen).toEqual([63]);
    expect(key.every((b) => b === 0)).toBe(true);
  });

  it('zeroes the key when the function throws', () => {
    const key = K1.slice();
    expect(() =>
      withDataKey(key, () => {
        throw new IntegrityError();
      }),
    ).toThrow(IntegrityError);
    expect(key.every((b) => b === 0)).toBe(true);
  });

  it('zeroes the key only once a returned promise settles (resolve and reject)', async () => {
    const key = K1.slice();
    const pending = withDataKey(key, async (k) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return openFields(sealToFields('later', k), k);
    });
    expect(key[1]).toBe(1);
    await expect(pending).resolves.toBe('later');
    expect(key.every((b) => b === 0)).toBe(true);

    const other = K1.slice();
    await expect(withDataKey(other, () => Promise.reject(new UsageError('no')))).rejects.toThrow('no');
    expect(other.every((b) => b === 0)).toBe(true);
  });
});
