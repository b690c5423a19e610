/**
 * Regression tests from a focused security review of the plaintext and key-material paths:
 *   - a malformed JSON import file must not have its text (secret values) quoted in the error
 *     (V8's JSON.parse messages quote the input around the bad token), with or without --debug;
 *   - glob matching must not backtrack polynomially (`*a*a*a*a*b` against a long name);
 *   - a KMS answer missing CiphertextBlob/KeyId must not leave the returned plaintext data key
 *     un-zeroed;
 *   - an encryption-context key `__proto__` must bind the value like any other key (an object
 *     assignment silently dropped it, storing the secret without its context).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KMSClient } from '@aws-sdk/client-kms';
import { parseContext } from '../../src/cli/arg-parsers.js';
import { expandWildcard, globToRegExp, matchesGlob } from '../../src/core/wildcard.js';
import { AwsKmsKeyService } from '../../src/envelope/aws-kms.js';
import { KmsError } from '../../src/errors.js';
import { cliHome } from '../helpers/run-cli.js';

const SECRET = 'hunter2-SECRET-MARKER';

describe('import error messages never quote the file', () => {
  const cli = cliHome();
  afterAll(cli.cleanup);

  it.each([
    ['unquoted value', `{"db.pw": ${SECRET}}`],
    ['unquoted value after a good pair', `{"a": "1",\n "db.pw": ${SECRET}x}`],
    ['a bare word', SECRET],
  ])('import of JSON with %s: exit 2, no value on stderr (also with --debug)', async (_label, text) => {
    const file = join(cli.home, '..', 'bad.json');
    writeFileSync(file, text);
    for (const args of [['import', file], ['--debug', 'import', file], ['putall', `@${file}`]]) {
      const r = await cli.run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/not valid JSON/);
      expect(r.stderr).not.toContain('hunter2');
    }
  });

  it('keeps position-only JSON messages (they quote nothing)', async () => {
    const file = join(cli.home, '..', 'cut.json');
    writeFileSync(file, '{"a": "1",');
    const r = await cli.run(['import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON \(.*position \d+.*\); nothing was imported/);
  });
});

describe('glob matching', () => {
  it('matches a many-star pattern against a long name in linear-ish time', () => {
    const name = 'a'.repeat(1000);
    const started = performance.now();
    expect(expandWildcard(`${'*a'.repeat(8)}*b`, [name])).toEqual([]);
    expect(expandWildcard(`${'*a'.repeat(8)}*`, [name])).toEqual([name]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('agrees with the regular-expression reading of a glob', () => {
    const alphabet = ['a', 'b', '.', '*', '\n', '[', '\u00e9'];
    let seed = 7;
    const pick = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        s += alphabet[seed % alphabet.length];
      }
      return s;
    };
    for (let i = 0; i < 3000; i++) {
      const pattern = pick(i % 7);
      const name = pick(i % 9).replaceAll('*', '');
      expect(matchesGlob(pattern, name), `${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`).toBe(globToRegExp(pattern).test(name));
    }
  });
});

describe('AwsKmsKeyService zeroes a plaintext it cannot return', () => {
  function answering(out: Record<string, unknown>): KMSClient {
    return { send: async () => out, config: { region: async () => 'eu-west-1' } } as unknown as KMSClient;
  }

  it('GenerateDataKey without CiphertextBlob', async () => {
    const plaintext = new Uint8Array(64).fill(0xab);
    const service = new AwsKmsKeyService({ client: answering({ Plaintext: plaintext, KeyId: 'arn:aws:kms:eu-west-1:1:key/x' }) });
    await expect(service.generateDataKey({ keyId: 'alias/x', numberOfBytes: 64, context: {} })).rejects.toBeInstanceOf(KmsError);
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });

  it('Decrypt without KeyId', async () => {
    const plaintext = new Uint8Array(64).fill(0xcd);
    const service = new AwsKmsKeyService({ client: answering({ Plaintext: plaintext }) });
    await expect(service.decrypt({ ciphertextBlob: new Uint8Array(8), context: {} })).rejects.toBeInstanceOf(KmsError);
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });
});

describe("encryption context key '__proto__'", () => {
  const cli = cliHome();
  afterAll(cli.cleanup);

  it('is kept as an ordinary pair', () => {
    const context = parseContext(['__proto__=z', 'env=prod']);
    expect(Object.entries(context)).toEqual([['__proto__', 'z'], ['env', 'prod']]);
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
  });

  it('binds the stored value: reading without it fails, with it succeeds', async () => {
    expect((await cli.run(['put', 'proto.ctx', 'v1', '__proto__=z'])).code).toBe(0);
    const without = await cli.run(['get', 'proto.ctx']);
    expect(without.code).toBe(6);
    expect(without.stdout).toBe('');
    const withIt = await cli.run(['get', 'proto.ctx', '__proto__=z']);
    expect(withIt.code).toBe(0);
    expect(withIt.stdout).toBe('v1\n');
  });
});
