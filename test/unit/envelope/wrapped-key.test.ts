import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecryptError } from '../../../src/errors.js';
import {
  HEADER_BYTES, MIN_WRAPPED_BYTES, NONCE_BYTES, WRAPPED_KEY_FORMAT, bytesToUuid, canonicalContext, parseWrappedKeyHeader,
  unwrapKey, uuidToBytes, wrapKey,
} from '../../../src/localkms/wrapped-key.js';

const KEY_ID = '0f8e2c4a-1b3d-4e5f-8a9b-0c1d2e3f4a5b';
const MATERIAL = new Uint8Array(32).map((_, i) => i + 1);
const OTHER_MATERIAL = new Uint8Array(32).fill(7);
const NONCE = new Uint8Array(12).map((_, i) => 0xa0 + i);
const PLAINTEXT = new Uint8Array(64).map((_, i) => (i * 13) & 0xff);
const CONTEXT = { env: 'prod', app: 'db' };

function wrap(overrides: Partial<Parameters<typeof wrapKey>[0]> = {}): Uint8Array {
  return wrapKey({ keyId: KEY_ID, backingKeyId: 3, material: MATERIAL, plaintext: PLAINTEXT, context: CONTEXT, ...overrides });
}

describe('uuidToBytes / bytesToUuid', () => {
  it('round-trips and lower-cases', () => {
    const bytes = uuidToBytes(KEY_ID.toUpperCase());
    expect(bytes.length).toBe(16);
    expect(bytes[0]).toBe(0x0f);
    expect(bytes[15]).toBe(0x5b);
    expect(bytesToUuid(bytes)).toBe(KEY_ID);
  });

  it('rejects non-UUIDs and wrong lengths', () => {
    expect(() => uuidToBytes('alias/credstash')).toThrow(RangeError);
    expect(() => uuidToBytes(`${KEY_ID}0`)).toThrow(RangeError);
    expect(() => bytesToUuid(new Uint8Array(15))).toThrow(RangeError);
  });
});

describe('canonicalContext', () => {
  it('is the UTF-8 JSON of pairs sorted by key', () => {
    expect(new TextDecoder().decode(canonicalContext({ b: '2', a: '1' }))).toBe('[["a","1"],["b","2"]]');
    expect(new TextDecoder().decode(canonicalContext({}))).toBe('[]');
    expect(new TextDecoder().decode(canonicalContext({ 'ключ': 'значение "q"' }))).toBe('[["ключ","значение \\"q\\""]]');
  });

  it('does not depend on insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalContext(reversed)).toEqual(canonicalContext(dict));
      }),
    );
  });

  it('keeps pair boundaries apart', () => {
    expect(canonicalContext({ a: 'b,c' })).not.toEqual(canonicalContext({ a: 'b', c: '' }));
  });
});

describe('wrapKey', () => {
  it('lays out format | key id | backing id (BE) | nonce | ciphertext+tag', () => {
    const blob = wrap({ nonce: NONCE, backingKeyId: 0x01020304 });
    expect(blob.length).toBe(MIN_WRAPPED_BYTES + PLAINTEXT.length);
    expect(blob[0]).toBe(WRAPPED_KEY_FORMAT);
    expect(Array.from(blob.subarray(1, 17))).toEqual(Array.from(uuidToBytes(KEY_ID)));
    expect(Array.from(blob.subarray(17, 21))).toEqual([1, 2, 3, 4]);
    expect(Array.from(blob.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES))).toEqual(Array.from(NONCE));
  });

  it('matches an independent AES-256-GCM (@noble/ciphers) with AAD = header | canonical context', () => {
    const blob = wrap({ nonce: NONCE });
    const header = blob.subarray(0, HEADER_BYTES);
    const aad = new Uint8Array(Buffer.concat([header, Buffer.from('[["app","db"],["env","prod"]]')]));
    const expected = gcm(MATERIAL, NONCE, aad).encrypt(PLAINTEXT);
    expect(Buffer.from(blob.subarray(HEADER_BYTES + NONCE_BYTES)).equals(Buffer.from(expected))).toBe(true);
  });

  it('agrees with @noble/ciphers GCM both ways for any key, nonce, context and plaintext', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ minLength: 0, maxLength: 100 }),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
        (material, nonce, plaintext, context) => {
          const blob = wrapKey({ keyId: KEY_ID, backingKeyId: 1, material, plaintext, context, nonce });
          const aad = new Uint8Array(Buffer.concat([blob.subarray(0, HEADER_BYTES), canonicalContext(context)]));
          const sealed = blob.subarray(HEADER_BYTES + NONCE_BYTES);
          expect(Buffer.from(gcm(material, nonce, aad).decrypt(sealed)).equals(Buffer.from(plaintext))).toBe(true);
          const foreign = new Uint8Array([...blob.subarray(0, HEADER_BYTES + NONCE_BYTES), ...gcm(material, nonce, aad).encrypt(plaintext)]);
          expect(Buffer.from(unwrapKey(foreign, material, context)).equals(Buffer.from(plaintext))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('uses a fresh random nonce per wrap', () => {
    expect(Array.from(wrap())).not.toEqual(Array.from(wrap()));
  });

  it('validates its inputs', () => {
    expect(() => wrap({ material: new Uint8Array(16) })).toThrow(/material must be 32 bytes/);
    expect(() => wrap({ nonce: new Uint8Array(8) })).toThrow(/nonce must be 12 bytes/);
    expect(() => wrap({ backingKeyId: -1 })).toThrow(/uint32/);
    expect(() => wrap({ backingKeyId: 2 ** 32 })).toThrow(/uint32/);
    expect(() => wrap({ keyId: 'alias/credstash' })).toThrow(RangeError);
  });

  it('does not modify the plaintext', () => {
    const copy = PLAINTEXT.slice();
    wrap();
    expect(PLAINTEXT).toEqual(copy);
  });
});

describe('parseWrappedKeyHeader', () => {
  it('reads key id and backing id', () => {
    expect(parseWrappedKeyHeader(wrap({ backingKeyId: 70000 }))).toEqual({ keyId: KEY_ID, backingKeyId: 70000 });
  });

  it('works on a subarray with an offset', () => {
    const blob = wrap();
    const padded = new Uint8Array(blob.length + 5);
    padded.set(blob, 5);
    expect(parseWrappedKeyHeader(padded.subarray(5))).toEqual({ keyId: KEY_ID, backingKeyId: 3 });
    expect(unwrapKey(padded.subarray(5), MATERIAL, CONTEXT)).toEqual(PLAINTEXT);
  });

  it('rejects short blobs and unknown formats with DecryptError', () => {
    const blob = wrap();
    expect(() => parseWrappedKeyHeader(blob.subarray(0, MIN_WRAPPED_BYTES - 1))).toThrow(DecryptError);
    expect(() => parseWrappedKeyHeader(new Uint8Array(0))).toThrow(DecryptError);
    const other = blob.slice();
    other[0] = 0x03; // 0x01 single-region, 0x02 multi-region: nothing else
    expect(() => parseWrappedKeyHeader(other)).toThrow(DecryptError);
  });
});

describe('unwrapKey', () => {
  it('round-trips any plaintext and context', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.dictionary(fc.string(), fc.string()), (plaintext, context) => {
        const blob = wrap({ plaintext, context });
        expect(unwrapKey(blob, MATERIAL, { ...context })).toEqual(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a wrong value', { env: 'dev', app: 'db' }],
    ['a missing pair', { env: 'prod' }],
    ['an extra pair', { ...CONTEXT, x: '' }],
    ['no context', {}],
  ])('fails with DecryptError (credstash message) for %s', (_label, context) => {
    const blob = wrap();
    expect(() => unwrapKey(blob, MATERIAL, context)).toThrow(DecryptError);
    expect(() => unwrapKey(blob, MATERIAL, context)).toThrow(/KMS ERROR: Could not decrypt hmac key with KMS/);
  });

  it('fails with DecryptError for the wrong backing key material', () => {
    expect(() => unwrapKey(wrap(), OTHER_MATERIAL, CONTEXT)).toThrow(DecryptError);
  });

  it('fails with DecryptError when any single byte of the blob changes', () => {
    const blob = wrap();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: blob.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const changed = blob.slice();
        changed[index] = (changed[index] ?? 0) ^ delta;
        expect(() => unwrapKey(changed, MATERIAL, CONTEXT)).toThrow(DecryptError);
      }),
      { numRuns: 500 },
    );
  });

  it('fails with DecryptError for every truncation', () => {
    const blob = wrap();
    for (let length = 0; length < blob.length; length++) {
      expect(() => unwrapKey(blob.subarray(0, length), MATERIAL, CONTEXT)).toThrow(DecryptError);
    }
  });
});
