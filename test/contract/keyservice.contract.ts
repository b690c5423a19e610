/**
 * The KeyService contract (docs/conventions.md §12): one suite run against every implementation — LocalKms
 * in-process, and the AWS SDK client pointed at the local KMS server. Uses only the KeyService
 * interface, so any conforming service must pass it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecryptError, KmsError } from '../../src/errors.js';
import type { EncryptionContext, KeyService } from '../../src/envelope/keyservice.js';

/** What a contract run needs from the implementation under test. */
export interface KeyServiceFixture {
  service: KeyService;
  /** An existing, enabled key (id, ARN or alias). */
  keyId: string;
  /** A second existing, enabled key, different from `keyId`. */
  otherKeyId: string;
  /** Disable a key (enables the disabled-key test when provided). */
  disable?: (keyId: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

const CONTEXT: EncryptionContext = { env: 'prod', app: 'db' };

function flipByte(blob: Uint8Array, index: number): Uint8Array {
  const copy = blob.slice();
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** Register the KeyService contract suite for one implementation. `make` is called per `describe`. */
export function describeKeyService(name: string, make: () => Promise<KeyServiceFixture>): void {
  describe(`KeyService contract: ${name}`, () => {
    let fx: KeyServiceFixture;
    beforeAll(async () => {
      fx = await make();
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    it('generates a 64-byte data key whose wrap decrypts to the same bytes under the same context', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      expect(dk.plaintext).toBeInstanceOf(Uint8Array);
      expect(dk.plaintext.length).toBe(64);
      expect(dk.ciphertextBlob.length).toBeGreaterThan(64);
      const out = await fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT });
      expect(Array.from(out.plaintext)).toEqual(Array.from(dk.plaintext));
      expect(out.keyId).toBe(dk.keyId);
    });

    it('names the wrapping key of its own blob as a key it resolves to that ARN, or says it cannot (undefined); never for a foreign blob', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      const id = await fx.service.wrappingKeyId(dk.ciphertextBlob);
      if (id !== undefined) expect(await fx.service.describeKeyArn?.(id)).toBe(dk.keyId);
      expect(await fx.service.wrappingKeyId(Uint8Array.from([0xff, 1, 2, 3]))).toBeUndefined();
    });

    it('gives different data keys on every call', async () => {
      const a = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 32, context: {} });
      const b = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 32, context: {} });
      expect(Array.from(a.plaintext)).not.toEqual(Array.from(b.plaintext));
    });

    it('ignores the order of context pairs', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: { a: '1', b: '2', c: '3' } });
      const out = await fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: { c: '3', a: '1', b: '2' } });
      expect(Array.from(out.plaintext)).toEqual(Array.from(dk.plaintext));
    });

    it.each([
      ['a wrong value', { env: 'dev', app: 'db' }],
      ['a missing pair', { env: 'prod' }],
      ['an extra pair', { ...CONTEXT, extra: 'x' }],
      ['no context', {}],
      ['a renamed key', { Env: 'prod', app: 'db' }],
    ])('refuses to decrypt with %s (DecryptError)', async (_label, context: EncryptionContext) => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      await expect(fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context })).rejects.toBeInstanceOf(DecryptError);
    });

    it('refuses a wrap made without context when a context is given', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: {} });
      await expect(fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT })).rejects.toBeInstanceOf(DecryptError);
    });

    it('fails with KmsError kms.notFound (not DecryptError) for an unknown key', async () => {
      const err = await fx.service
        .generateDataKey({ keyId: 'alias/keystash-contract-no-such-key', numberOfBytes: 64, context: {} })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KmsError);
      expect(err).not.toBeInstanceOf(DecryptError);
      expect((err as KmsError).code).toBe('kms.notFound');
      const byId = await fx.service
        .encrypt({ keyId: '00000000-0000-4000-8000-000000000000', plaintext: new Uint8Array([1]), context: {} })
        .catch((e: unknown) => e);
      expect(byId).toBeInstanceOf(KmsError);
    });

    it.each([1, 100, 4096])('encrypts and decrypts %i bytes', async (size) => {
      const plaintext = new Uint8Array(size).map((_, i) => (i * 7 + 3) & 0xff);
      const enc = await fx.service.encrypt({ keyId: fx.keyId, plaintext, context: CONTEXT });
      const dec = await fx.service.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: CONTEXT });
      expect(Array.from(dec.plaintext)).toEqual(Array.from(plaintext));
      expect(dec.keyId).toBe(enc.keyId);
    });

    it('rejects more than 4096 bytes of plaintext with KmsError kms.validation', async () => {
      const err = await fx.service
        .encrypt({ keyId: fx.keyId, plaintext: new Uint8Array(4097), context: {} })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KmsError);
      expect((err as KmsError).code).toBe('kms.validation');
    });

    it('re-encrypts under another key and context; the new wrap decrypts to the same bytes', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      const dest = { purpose: 'moved' };
      const re = await fx.service.reEncrypt({
        ciphertextBlob: dk.ciphertextBlob, sourceContext: CONTEXT, destinationKeyId: fx.otherKeyId, destinationContext: dest,
      });
      expect(re.sourceKeyId).toBe(dk.keyId);
      expect(re.keyId).not.toBe(dk.keyId);
      const out = await fx.service.decrypt({ ciphertextBlob: re.ciphertextBlob, context: dest });
      expect(Array.from(out.plaintext)).toEqual(Array.from(dk.plaintext));
      expect(out.keyId).toBe(re.keyId);
      await expect(fx.service.decrypt({ ciphertextBlob: re.ciphertextBlob, context: CONTEXT })).rejects.toBeInstanceOf(DecryptError);
    });

    it('refuses to re-encrypt with a wrong source context (DecryptError)', async () => {
      const dk = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      const request = { ciphertextBlob: dk.ciphertextBlob, sourceContext: {}, destinationKeyId: fx.otherKeyId, destinationContext: {} };
      await expect(fx.service.reEncrypt(request)).rejects.toBeInstanceOf(DecryptError);
    });

    it('rejects a damaged blob (DecryptError): flipped first, middle and last byte, truncated (to nothing too), garbage', async () => {
      const { ciphertextBlob: blob } = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
      const damaged = [
        flipByte(blob, 0),
        flipByte(blob, Math.floor(blob.length / 2)),
        flipByte(blob, blob.length - 1),
        blob.slice(0, blob.length - 1),
        blob.slice(0, Math.floor(blob.length / 2)),
        new Uint8Array(blob.length).fill(0x41),
        blob.slice(0, 1),
        new Uint8Array(0),
      ];
      for (const ciphertextBlob of damaged) {
        await expect(fx.service.decrypt({ ciphertextBlob, context: CONTEXT })).rejects.toBeInstanceOf(DecryptError);
      }
      const reEncrypt = { sourceContext: CONTEXT, destinationKeyId: fx.keyId, destinationContext: CONTEXT };
      await expect(fx.service.reEncrypt({ ciphertextBlob: new Uint8Array(0), ...reEncrypt })).rejects.toBeInstanceOf(DecryptError);
    });

    it('resolves the key by alias, alias ARN, key ARN and key id alike', async () => {
      const describeKeyArn = fx.service.describeKeyArn?.bind(fx.service);
      if (describeKeyArn === undefined) return;
      const arn = await describeKeyArn(fx.keyId);
      const id = arn.slice(arn.lastIndexOf('key/') + 'key/'.length);
      const refs = [fx.keyId, arn, id];
      if (fx.keyId.startsWith('alias/')) refs.push(arn.replace(/key\/[^:]+$/, fx.keyId));
      for (const ref of refs) {
        expect(await describeKeyArn(ref)).toBe(arn);
        const dk = await fx.service.generateDataKey({ keyId: ref, numberOfBytes: 16, context: {} });
        expect(dk.keyId).toBe(arn);
        expect((await fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: {} })).keyId).toBe(arn);
      }
      await expect(describeKeyArn('alias/keystash-contract-no-such-key')).rejects.toBeInstanceOf(KmsError);
    });
  });

  describe(`KeyService contract: ${name}: disabled key`, () => {
    it('refuses new data keys, encrypt and decrypt with KmsError kms.disabled', async () => {
      const fx = await make();
      try {
        if (fx.disable === undefined) return;
        const dk = await fx.service.generateDataKey({ keyId: fx.otherKeyId, numberOfBytes: 64, context: CONTEXT });
        await fx.disable(fx.otherKeyId);
        const attempts = [
          () => fx.service.generateDataKey({ keyId: fx.otherKeyId, numberOfBytes: 64, context: CONTEXT }),
          () => fx.service.encrypt({ keyId: fx.otherKeyId, plaintext: new Uint8Array([1]), context: CONTEXT }),
          () => fx.service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT }),
        ];
        for (const attempt of attempts) {
          const err = await attempt().then(() => undefined, (e: unknown) => e);
          expect(err).toBeInstanceOf(KmsError);
          expect((err as KmsError).code).toBe('kms.disabled');
        }
        const other = await fx.service.generateDataKey({ keyId: fx.keyId, numberOfBytes: 64, context: CONTEXT });
        expect(other.plaintext.length).toBe(64);
      } finally {
        await fx.cleanup();
      }
    });
  });
}
