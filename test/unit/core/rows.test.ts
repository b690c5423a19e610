import { describe, expect, it } from 'vitest';
import { DecryptError, IntegrityError, KeystashError, SecretNotFoundError, StoreError } from '../../../src/errors.js';
import { base64ToBytes, bytesToBase64 } from '../../../src/envelope/codec.js';
import type { DecryptRequest, EncryptRequest, KeyService } from '../../../src/envelope/keyservice.js';
import { DATA_KEY_BYTES, sealToFields } from '../../../src/envelope/seal.js';
import type { SecretRow, SecretStore } from '../../../src/secretstore/types.js';
import {
  asKeystashError,
  authenticateRecord,
  byNameThenNewest,
  byNameThenVersion,
  describeFirstFailures,
  FAILURES_SHOWN,
  openRecord,
  proveKeyUsable,
  readRow,
  rewrapKey,
  rowKey,
  rowLabel,
  sameSealed,
  withUnwrappedKey,
  wrappingKeyArn,
} from '../../../src/core/secrets/rows.js';

/**
 * A key service whose "wrapped" key is one byte naming a master key (0 → arn:a, 1 → arn:b) then
 * the data key in clear; it hands out a fresh copy of the data key each time and remembers every
 * plaintext it handed out, so tests can check they were zeroed.
 */
function fakeKeys(): KeyService & { handedOut: Uint8Array[]; encrypted: Array<{ keyId: string; plaintext: number[] }> } {
  const arns = ['arn:a', 'arn:b'];
  const handedOut: Uint8Array[] = [];
  const encrypted: Array<{ keyId: string; plaintext: number[] }> = [];
  const unwrap = (blob: Uint8Array): { plaintext: Uint8Array; keyId: string } => {
    if (blob[0] === undefined || blob[0] >= arns.length || blob.length !== 1 + DATA_KEY_BYTES) throw new DecryptError('cannot unwrap');
    const plaintext = blob.slice(1);
    handedOut.push(plaintext);
    return { plaintext, keyId: arns[blob[0]]! };
  };
  return {
    handedOut,
    encrypted,
    async generateDataKey({ keyId }) {
      const index = arns.indexOf(keyId);
      if (index < 0) throw new KeystashError(`no key ${keyId}`, { code: 'kms.notFound' });
      const plaintext = new Uint8Array(DATA_KEY_BYTES).fill(7);
      handedOut.push(plaintext);
      return { plaintext, ciphertextBlob: wrap(index, plaintext), keyId };
    },
    async decrypt({ ciphertextBlob }: DecryptRequest) {
      return unwrap(ciphertextBlob);
    },
    async encrypt({ keyId, plaintext }: EncryptRequest) {
      encrypted.push({ keyId, plaintext: [...plaintext] });
      return { ciphertextBlob: wrap(arns.indexOf(keyId), plaintext), keyId };
    },
    async reEncrypt() {
      throw new Error('not used');
    },
    async wrappingKeyId(blob: Uint8Array) {
      return arns[blob[0] ?? arns.length];
    },
  };
}

function wrap(index: number, dataKey: Uint8Array): Uint8Array {
  return Uint8Array.from([index, ...dataKey]);
}

const DATA_KEY = Uint8Array.from({ length: DATA_KEY_BYTES }, (_, i) => i + 1);
const WRAPPED_A = bytesToBase64(wrap(0, DATA_KEY));

function sealedRecord(value: string, over: Partial<SecretRow> = {}): SecretRow {
  const fields = sealToFields(value, DATA_KEY, 'SHA256');
  return { name: 'app.db', version: '0000000000000000001', key: WRAPPED_A, ...fields, ...over };
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

describe('row order', () => {
  const cases: Array<[string, Array<[string, string]>, Array<[string, string]>, Array<[string, string]>]> = [
    // [what, input, byNameThenVersion, byNameThenNewest]
    ['names by code point', [['b', '1'], ['a', '1'], ['B', '1']], [['B', '1'], ['a', '1'], ['b', '1']], [['B', '1'], ['a', '1'], ['b', '1']]],
    [
      'versions numerically, legacy unpadded among padded',
      [['a', '10'], ['a', '0000000000000000002'], ['a', '9']],
      [['a', '0000000000000000002'], ['a', '9'], ['a', '10']],
      [['a', '10'], ['a', '9'], ['a', '0000000000000000002']],
    ],
    [
      'name first, then version',
      [['b', '1'], ['a', '2'], ['a', '1'], ['b', '0']],
      [['a', '1'], ['a', '2'], ['b', '0'], ['b', '1']],
      [['a', '2'], ['a', '1'], ['b', '1'], ['b', '0']],
    ],
  ];
  it.each(cases)('%s', (_what, input, ascending, newest) => {
    const rows = input.map(([name, version]) => ({ name, version }));
    expect([...rows].sort(byNameThenVersion).map((r) => [r.name, r.version])).toEqual(ascending);
    expect([...rows].sort(byNameThenNewest).map((r) => [r.name, r.version])).toEqual(newest);
  });
});

describe('row identity', () => {
  it.each([
    [{ name: 'a', version: '1' }, { name: 'a', version: '1' }, true],
    [{ name: 'a', version: '1' }, { name: 'a', version: '0000000000000000001' }, false],
    [{ name: 'a', version: '1' }, { name: 'b', version: '1' }, false],
    // A name ending as another begins must not make two rows look alike.
    [{ name: 'a1', version: '2' }, { name: 'a', version: '12' }, false],
  ])('%o vs %o → %s', (a, b, same) => {
    expect(rowKey(a) === rowKey(b)).toBe(same);
  });
  it.each([
    [{ name: 'app.db', version: '0000000000000000003' }, 'app.db v0000000000000000003'],
    [{ name: 'a b', version: '7' }, 'a b v7'],
  ])('rowLabel(%o) is %j', (row, label) => {
    expect(rowLabel(row)).toBe(label);
  });
});

describe('sameSealed', () => {
  it.each([
    ['identical', { contents: 'QUJD', hmac: 'ab12' }, { contents: 'QUJD', hmac: 'ab12' }, true],
    ['hex case differs', { contents: 'QUJD', hmac: 'AB12' }, { contents: 'QUJD', hmac: 'ab12' }, true],
    ['contents differ', { contents: 'QUJE', hmac: 'ab12' }, { contents: 'QUJD', hmac: 'ab12' }, false],
    ['hmac differs', { contents: 'QUJD', hmac: 'ab13' }, { contents: 'QUJD', hmac: 'ab12' }, false],
    ['empty values', { contents: '', hmac: 'ff' }, { contents: '', hmac: 'FF' }, true],
  ])('%s', (_what, a, b, same) => {
    expect(sameSealed(a, b)).toBe(same);
  });
});

describe('asKeystashError', () => {
  it('keeps a KeystashError (subclasses included) as it is', () => {
    const notFound = new SecretNotFoundError('x');
    expect(asKeystashError(notFound)).toBe(notFound);
    const store = new StoreError('down', { code: 'store.unreachable' });
    expect(asKeystashError(store)).toBe(store);
  });
  it.each([
    [new TypeError('boom'), 'unexpected failure: boom'],
    ['a string', 'unexpected failure: a string'],
    [undefined, 'unexpected failure: undefined'],
    [42, 'unexpected failure: 42'],
  ])('wraps %o', (thrown, message) => {
    const error = asKeystashError(thrown);
    expect(error).toBeInstanceOf(KeystashError);
    expect(error.message).toBe(message);
    expect(error.cause).toBe(thrown);
  });
});

describe('describeFirstFailures', () => {
  const failures = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, error: new KeystashError(`e${i}`) }));
  it.each([
    [0, ''],
    [1, 's0: e0'],
    [5, 's0: e0; s1: e1; s2: e2; s3: e3; s4: e4'],
    [6, 's0: e0; s1: e1; s2: e2; s3: e3; s4: e4; …'],
    [40, 's0: e0; s1: e1; s2: e2; s3: e3; s4: e4; …'],
  ])('%i failures → %j', (n, text) => {
    expect(describeFirstFailures(failures(n), (f) => f.name)).toBe(text);
  });
  it('labels each failure with the given function and shows FAILURES_SHOWN of them', () => {
    expect(FAILURES_SHOWN).toBe(5);
    expect(describeFirstFailures(failures(2), (f) => `<${f.name}>`)).toBe('<s0>: e0; <s1>: e1');
  });
});

describe('readRow', () => {
  const row = sealedRecord('v');
  const store = { getVersion: async (name: string, version: string) => (name === row.name && version === row.version ? row : undefined) } as unknown as SecretStore;
  it('returns the stored row', async () => {
    await expect(readRow(store, { name: 'app.db', version: '0000000000000000001' })).resolves.toBe(row);
  });
  it('throws SecretNotFoundError naming the row when it is gone', async () => {
    const error = await readRow(store, { name: 'app.db', version: '0000000000000000002' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretNotFoundError);
    expect((error as Error).message).toMatch(/app\.db/);
  });
});

describe('unwrapping a data key for one use', () => {
  it('withUnwrappedKey passes the data key and wrapping ARN, then zeroes the key', async () => {
    const keys = fakeKeys();
    const seen = await withUnwrappedKey(keys, WRAPPED_A, {}, (dataKey, arn) => ({ first: dataKey[0], last: dataKey[DATA_KEY_BYTES - 1], arn }));
    expect(seen).toEqual({ first: 1, last: DATA_KEY_BYTES, arn: 'arn:a' });
    expect(keys.handedOut).toHaveLength(1);
    expect(allZero(keys.handedOut[0]!)).toBe(true);
  });
  it('zeroes the key when the callback throws or rejects', async () => {
    const keys = fakeKeys();
    await expect(withUnwrappedKey(keys, WRAPPED_A, {}, () => { throw new IntegrityError(); })).rejects.toBeInstanceOf(IntegrityError);
    await expect(withUnwrappedKey(keys, WRAPPED_A, {}, async () => { throw new StoreError('x'); })).rejects.toBeInstanceOf(StoreError);
    expect(keys.handedOut).toHaveLength(2);
    expect(keys.handedOut.every(allZero)).toBe(true);
  });
  it('a key that cannot be unwrapped fails with the key service error', async () => {
    await expect(wrappingKeyArn(fakeKeys(), bytesToBase64(Uint8Array.from([9, 1])), {})).rejects.toBeInstanceOf(DecryptError);
  });
  it.each([
    [0, 'arn:a'],
    [1, 'arn:b'],
  ])('wrappingKeyArn of a key wrapped by key %i is %s', async (index, arn) => {
    const keys = fakeKeys();
    await expect(wrappingKeyArn(keys, bytesToBase64(wrap(index, DATA_KEY)), {})).resolves.toBe(arn);
    expect(keys.handedOut.every(allZero)).toBe(true);
  });
});

describe('rewrapKey', () => {
  it('unwraps through one service and wraps the same data key under keyId through the other', async () => {
    const from = fakeKeys();
    const to = fakeKeys();
    const rewrapped = await rewrapKey(WRAPPED_A, from, to, 'arn:b', { app: 'x' });
    expect([...base64ToBytes(rewrapped, 'key')]).toEqual([1, ...DATA_KEY]);
    expect(to.encrypted).toEqual([{ keyId: 'arn:b', plaintext: [...DATA_KEY] }]);
    expect(from.handedOut.every(allZero)).toBe(true);
  });
});

describe('authenticateRecord and openRecord', () => {
  it.each([
    ['a plain value', 'hunter2'],
    ['an empty value', ''],
    ['non-ASCII', 'pässwörd ✓'],
  ])('%s: authenticates and opens, zeroing every data key', async (_what, value) => {
    const keys = fakeKeys();
    const record = sealedRecord(value);
    await expect(authenticateRecord(keys, record, {})).resolves.toBeUndefined();
    await expect(openRecord(keys, record)).resolves.toBe(value);
    expect(keys.handedOut).toHaveLength(2);
    expect(keys.handedOut.every(allZero)).toBe(true);
  });
  it.each([
    ['tampered contents', (r: SecretRow) => ({ ...r, contents: bytesToBase64(Uint8Array.from([...base64ToBytes(r.contents, 'c')].map((b) => b ^ 1))) })],
    ['tampered hmac', (r: SecretRow) => ({ ...r, hmac: `${r.hmac.slice(0, -1)}${r.hmac.endsWith('0') ? '1' : '0'}` })],
    ['wrong digest label', (r: SecretRow) => ({ ...r, digest: 'SHA512' })],
    ['another data key', (r: SecretRow) => ({ ...r, key: bytesToBase64(wrap(0, new Uint8Array(DATA_KEY_BYTES).fill(3))) })],
  ])('%s: IntegrityError from both, key still zeroed', async (_what, damage) => {
    const keys = fakeKeys();
    const record = damage(sealedRecord('secret'));
    await expect(authenticateRecord(keys, record, {})).rejects.toBeInstanceOf(IntegrityError);
    await expect(openRecord(keys, record)).rejects.toBeInstanceOf(IntegrityError);
    expect(keys.handedOut.every(allZero)).toBe(true);
  });
});

describe('proveKeyUsable', () => {
  it('returns the ARN and zeroes the generated data key', async () => {
    const keys = fakeKeys();
    await expect(proveKeyUsable(keys, 'arn:b', {})).resolves.toBe('arn:b');
    expect(keys.handedOut).toHaveLength(1);
    expect(allZero(keys.handedOut[0]!)).toBe(true);
  });
  it('passes the key service error on', async () => {
    await expect(proveKeyUsable(fakeKeys(), 'arn:missing', {})).rejects.toThrow(/no key arn:missing/);
  });
});
