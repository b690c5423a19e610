// credstash 1.17.1 vectors (test/vectors/README.md), both directions: seal reproduces the stored
// contents/hmac text, open recovers the plaintext; every negative vector is an IntegrityError.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors.js';
import { base64ToBytes, bytesToAscii, bytesToBase64, hexToBytes, utf8ToBytes } from '../../../src/envelope/codec.js';
import { DIGEST_NAMES } from '../../../src/envelope/digests.js';
import { open, openFields, seal, sealToFields } from '../../../src/envelope/seal.js';

interface Vector {
  id: string;
  data_key_hex: string;
  aes_key_hex: string;
  hmac_key_hex: string;
  plaintext_name: string;
  plaintext_utf8_len: number;
  plaintext_sha256: string;
  digest: string;
  contents?: string;
  contents_same_as?: string;
  contents_sha256: string;
  hmac: string;
  hmac_dynamodb_wire: { B: string };
  plaintext?: string;
  plaintext_rule?: string;
}

interface NegativeVector {
  base_vector: string;
  change: string;
  material: { key: string; contents: string; hmac: string; digest?: string };
  credstash_result: string;
}

interface VectorFile {
  constants: { LEGACY_NONCE_hex: string; DEFAULT_DIGEST: string; digests: string[] };
  legacy_reading_checks: string[];
  vectors: Vector[];
  negative_vectors: NegativeVector[];
}

const file = JSON.parse(readFileSync(new URL('../../vectors/credstash-vectors.json', import.meta.url), 'utf8')) as VectorFile;
const byId = new Map(file.vectors.map((v) => [v.id, v]));

/** Plaintexts the file gives only as a rule (docs/format.md §8). */
const RULES: Record<string, () => string> = {
  '4k-ascii': () => Array.from({ length: 4096 }, (_, i) => String.fromCharCode(0x20 + (i % 95))).join(''),
  '100k-ascii': () => Array.from({ length: 102400 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[i % 36]).join(''),
  '100k-utf8-mixed': () => 'a\u00e9\u20ac\u{1F600}'.repeat(10240),
};

const ruleCache = new Map<string, string>();
function plaintextOf(v: Vector): string {
  if (v.plaintext !== undefined) return v.plaintext;
  const rule = RULES[v.plaintext_name];
  if (!rule) throw new Error(`${v.id}: no rule for plaintext '${v.plaintext_name}' (${v.plaintext_rule ?? 'no rule text'})`);
  let text = ruleCache.get(v.plaintext_name);
  if (text === undefined) ruleCache.set(v.plaintext_name, (text = rule()));
  return text;
}

function contentsOf(v: Vector): string {
  if (v.contents !== undefined) return v.contents;
  const source = v.contents_same_as === undefined ? undefined : byId.get(v.contents_same_as);
  if (source?.contents === undefined) throw new Error(`${v.id}: no contents and no usable contents_same_as`);
  return source.contents;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const dataKeyOf = (v: Vector): Uint8Array => hexToBytes(v.data_key_hex, 'data_key_hex');

describe('credstash-vectors.json', () => {
  it('is not empty and uses the documented constants', () => {
    expect(file.vectors.length).toBeGreaterThan(0);
    expect(file.negative_vectors.length).toBeGreaterThan(0);
    expect(file.legacy_reading_checks.length).toBeGreaterThan(0);
    expect(file.constants.LEGACY_NONCE_hex).toBe('00000000000000000000000000000001');
    expect(file.constants.DEFAULT_DIGEST).toBe('SHA256');
    expect(file.constants.digests).toEqual([...DIGEST_NAMES]);
  });

  it('covers every digest', () => {
    expect(new Set(file.vectors.map((v) => v.digest))).toEqual(new Set(DIGEST_NAMES));
  });
});

describe('plaintexts of the vectors', () => {
  for (const v of file.vectors) {
    it(`${v.id}: plaintext matches its length and SHA-256 (rule text agrees where both are given)`, () => {
      const bytes = utf8ToBytes(plaintextOf(v));
      expect(bytes.length).toBe(v.plaintext_utf8_len);
      expect(sha256Hex(bytes)).toBe(v.plaintext_sha256);
      if (v.plaintext !== undefined && v.plaintext_rule !== undefined) expect(RULES[v.plaintext_name]?.()).toBe(v.plaintext);
      // contents_sha256 is the SHA-256 of the stored base64 text, not of the ciphertext bytes.
      expect(sha256Hex(utf8ToBytes(contentsOf(v)))).toBe(v.contents_sha256);
      expect(v.data_key_hex).toBe(v.aes_key_hex + v.hmac_key_hex);
      expect(bytesToAscii(base64ToBytes(v.hmac_dynamodb_wire.B))).toBe(v.hmac);
    });
  }
});

describe('seal reproduces credstash', () => {
  for (const v of file.vectors) {
    it(`${v.id}`, () => {
      const fields = sealToFields(plaintextOf(v), dataKeyOf(v), v.digest);
      expect(fields).toEqual({ contents: contentsOf(v), hmac: v.hmac, digest: v.digest });
      const raw = seal(utf8ToBytes(plaintextOf(v)), dataKeyOf(v), v.digest);
      expect(bytesToBase64(raw.contents)).toBe(contentsOf(v));
    });
  }
});

describe('open recovers the plaintext', () => {
  for (const v of file.vectors) {
    it(`${v.id}`, () => {
      const fields = { contents: contentsOf(v), hmac: v.hmac, digest: v.digest };
      expect(openFields(fields, dataKeyOf(v))).toBe(plaintextOf(v));
      const bytes = open({ contents: base64ToBytes(fields.contents), hmac: hexToBytes(v.hmac), digest: v.digest }, dataKeyOf(v));
      // Buffer.equals, not toEqual: a deep comparison of 100 KiB element by element takes a second.
      expect(Buffer.from(bytes).equals(utf8ToBytes(plaintextOf(v)))).toBe(true);
    });
  }
});

describe('negative vectors', () => {
  for (const n of file.negative_vectors) {
    it(`${n.base_vector}: ${n.change} → IntegrityError`, () => {
      const base = byId.get(n.base_vector);
      if (!base) throw new Error(`unknown base vector ${n.base_vector}`);
      let caught: unknown;
      try {
        openFields(n.material, dataKeyOf(base));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(IntegrityError);
      const message = (caught as Error).message;
      if (n.credstash_result.startsWith('IntegrityError: ')) {
        expect(message).toBe(n.credstash_result.slice('IntegrityError: '.length));
      } else {
        // credstash raised ValueError for names it does not know; keystash keeps one error class.
        expect(message).toBe(`unknown digest '${n.material.digest ?? ''}' (expected one of SHA, SHA224, SHA256, SHA384, SHA512, MD5)`);
      }
    });
  }
});

describe('legacy_reading_checks', () => {
  const sha256Vectors = file.vectors.filter((v) => v.digest === 'SHA256');
  const checks: Array<[keyword: RegExp, check: () => void]> = [
    [
      /without a 'digest' attribute/,
      () => {
        for (const v of sha256Vectors) expect(openFields({ contents: contentsOf(v), hmac: v.hmac }, dataKeyOf(v))).toBe(plaintextOf(v));
      },
    ],
    [
      /DynamoDB String \(S\) of hex/,
      () => {
        // At the envelope boundary S and B both arrive as the hex text; B's bytes are its ASCII.
        for (const v of sha256Vectors) {
          const fromB = bytesToAscii(base64ToBytes(v.hmac_dynamodb_wire.B));
          expect(openFields({ contents: contentsOf(v), hmac: fromB, digest: 'SHA256' }, dataKeyOf(v))).toBe(plaintextOf(v));
          expect(openFields({ contents: contentsOf(v), hmac: v.hmac, digest: 'SHA256' }, dataKeyOf(v))).toBe(plaintextOf(v));
        }
      },
    ],
    [
      /upper-case hex/,
      () => {
        for (const v of file.vectors) {
          const fields = { contents: contentsOf(v), hmac: v.hmac.toUpperCase(), digest: v.digest };
          expect(openFields(fields, dataKeyOf(v))).toBe(plaintextOf(v));
        }
      },
    ],
  ];

  for (const text of file.legacy_reading_checks) {
    it(text, () => {
      const matching = checks.filter(([keyword]) => keyword.test(text));
      expect(matching, `no test implements legacy check: ${text}`).toHaveLength(1);
      matching[0]?.[1]();
    });
  }
});
