/**
 * A passphrase-sealed keyring without the cost of the default scrypt parameters (N = 2^17, about
 * half a second and 128 MiB per derivation, paid again by every process and every LocalKms that
 * opens it). `sealCheaply` re-seals an existing plain keyring file at N = 2^10, the smallest cost
 * a keyring may carry: for tests about what a sealed keyring does (refusals, contracts),
 * not about its cost. Whatever LocalKms writes to it afterwards keeps these parameters and salt;
 * the default cost itself is checked where keyrings are sealed (test/integration/local-kms.test.ts
 * "seals the keyring", test/reliability/hardening.test.ts "kms seal").
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { scrypt } from '@noble/hashes/scrypt.js';
import { base64ToBytes, bytesToBase64, utf8ToBytes } from '../../src/envelope/codec.js';
import { serializeKeyring, type KeyringData } from '../../src/localkms/keyring-format.js';

/** The cheapest scrypt cost LocalKms accepts. */
export const CHEAP_KDF = { N: 2 ** 10, r: 8, p: 1 } as const;

/** Seal the plain keyring at `path` with `passphrase` at {@link CHEAP_KDF}, in place (mode kept 0600). */
export function sealCheaply(path: string, passphrase: string): void {
  const data = JSON.parse(readFileSync(path, 'utf8')) as KeyringData & { encrypted?: unknown };
  if (data.encrypted !== undefined) throw new Error(`${path} is sealed already`);
  const params = { ...CHEAP_KDF, salt: bytesToBase64(randomBytes(16)) };
  const key = scrypt(utf8ToBytes(passphrase), base64ToBytes(params.salt), { ...CHEAP_KDF, dkLen: 32 });
  writeFileSync(path, serializeKeyring({ keys: data.keys }, { ...params, key }), { mode: 0o600 });
}
