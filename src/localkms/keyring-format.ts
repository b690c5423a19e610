/**
 * The keyring file's text format (docs/architecture.md "Local KMS"); pure functions, no I/O.
 *
 * Plain:  `{ "format": "keystash-keyring", "version": 1, "keys": [MasterKeyRecord…] }`
 * Sealed: `{ "format": "keystash-keyring", "version": 1, "encrypted": { "kdf": "scrypt", "N", "r",
 *          "p", "salt", "nonce", "ciphertext" } }` — AES-256-GCM (NIST SP 800-38D) of
 *          `{ "keys": […] }` under scrypt(passphrase, salt) (RFC 7914), AAD naming format,
 *          version and KDF parameters so none of them can be swapped.
 *
 * Every failure is a ConfigError naming the file and the damaged field, never quoting contents.
 */
import { gcmDecrypt, gcmEncrypt, randomBytes } from '../envelope/primitives.js';
import { ConfigError } from '../errors.js';
import type { KeyMetadata } from './key-manager.js';
import { base64ToBytes, bytesToBase64, bytesToUtf8, utf8ToBytes } from '../envelope/codec.js';
import { BACKING_KEY_BYTES, bytesToHex16, bytesToUuid, isKeyId } from './wrapped-key.js';

/** `format` field of every keyring file. */
const KEYRING_FORMAT = 'keystash-keyring';
/** `version` field of the layout this module reads and writes. */
const KEYRING_VERSION = 1;
/**
 * scrypt cost for new passphrase-protected keyrings: N = 2^17, r = 8, p = 1 (RFC 7914 §2; 128 MiB
 * of memory, ~0.3–0.45 s per derivation with @noble/hashes on the reference machine, paid once per
 * process). Every guess at the passphrase costs an attacker the same, which is what a stolen
 * keyring file is exposed to; N = 2^14 (the earlier default, 16 MiB) made guessing 8× cheaper.
 * Files written with other parameters keep them (`kms seal` of an unsealed copy upgrades); the
 * reader accepts N from 2^10 to 2^20.
 */
export const KEYRING_KDF = { N: 2 ** 17, r: 8, p: 1 } as const;

const NONCE_BYTES = 12;
const KEY_ARN_RE = /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\/(.+)$/;
const ALIAS_ARN_RE = /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:(alias\/.+)$/;

/** One AES-256 backing key of a master key; rotation appends one. */
export interface BackingKeyRecord {
  /** 1, 2, … — carried in every wrapped-key blob. */
  id: number;
  /** base64 of 32 random bytes. */
  material: string;
  /** ISO-8601 */
  createdAt: string;
}

/**
 * One master key as stored in the keyring: what DescribeKey shows of it (keyId is a lower-case
 * UUID, arn `arn:aws:kms:<region>:<account>:key/<keyId>`, aliases full names such as
 * `alias/credstash`) with its backing keys instead of their count.
 */
export interface MasterKeyRecord extends Omit<KeyMetadata, 'backingKeyCount' | 'multiRegion'> {
  backingKeys: BackingKeyRecord[];
  /**
   * Multi-region keys only (id `mrk-…`): the ARN of the primary and of the replicas this keyring
   * knows of (a primary lists those made from it by `kms replicate-key`; a replica, none).
   */
  multiRegion?: MultiRegionRecord | undefined;
}

/** The multi-region part of a key record. */
interface MultiRegionRecord {
  primaryArn: string;
  replicaArns: string[];
}

/** The decoded key list of a keyring. */
export interface KeyringData {
  keys: MasterKeyRecord[];
}

/** scrypt parameters, salt and derived key of a sealed keyring. */
interface KeyringSeal {
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
  /** 32-byte AES-256 key = scrypt(passphrase, salt). */
  key: Uint8Array;
}

/** Derives (or returns the cached) sealing key for the given scrypt parameters and salt. */
export type DeriveKey = (params: { N: number; r: number; p: number; salt: string }) => Uint8Array;

/** A parsed keyring file: its keys and, when it was sealed, how to seal it again. */
export interface ParsedKeyring {
  data: KeyringData;
  seal: KeyringSeal | undefined;
}

type Fields = Record<string, unknown>;

function asFields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
}

function damaged(path: string, what: string): ConfigError {
  return new ConfigError(`keyring ${path} is damaged (${what}); restore it from a backup`);
}

function sealAad(seal: Pick<KeyringSeal, 'N' | 'r' | 'p' | 'salt'>): Uint8Array {
  return utf8ToBytes(`${KEYRING_FORMAT}/${KEYRING_VERSION}/scrypt/${seal.N}/${seal.r}/${seal.p}/${seal.salt}`);
}

function isMaterial(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const bytes = base64ToBytes(value, 'material');
    const ok = bytes.length === BACKING_KEY_BYTES;
    bytes.fill(0);
    return ok;
  } catch {
    return false;
  }
}

function parseBackingKey(value: unknown, at: string, path: string): BackingKeyRecord {
  const f = asFields(value);
  if (f === undefined) throw damaged(path, `${at} is not an object`);
  const { id, material, createdAt } = f;
  if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > 0xffff_ffff) throw damaged(path, `${at}.id`);
  if (!isMaterial(material)) throw damaged(path, `${at}.material is not 32 bytes of base64`);
  if (typeof createdAt !== 'string') throw damaged(path, `${at}.createdAt`);
  return { id: id as number, material: material as string, createdAt };
}

function parseMasterKey(value: unknown, at: string, path: string): MasterKeyRecord {
  const f = asFields(value);
  if (f === undefined) throw damaged(path, `${at} is not an object`);
  const { keyId, arn, description, enabled, createdAt, aliases, rotationEnabled, backingKeys, currentBackingKey } = f;
  if (typeof keyId !== 'string' || !isKeyId(keyId)) throw damaged(path, `${at}.keyId is not a UUID or mrk- id`);
  for (const [name, v] of Object.entries({ arn, description, createdAt })) {
    if (typeof v !== 'string') throw damaged(path, `${at}.${name} is not a string`);
  }
  if (typeof enabled !== 'boolean' || typeof rotationEnabled !== 'boolean') throw damaged(path, `${at}.enabled/rotationEnabled`);
  if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && a.startsWith('alias/'))) {
    throw damaged(path, `${at}.aliases`);
  }
  if (!Array.isArray(backingKeys) || backingKeys.length === 0) throw damaged(path, `${at}.backingKeys is empty`);
  const backing = backingKeys.map((b: unknown, i) => parseBackingKey(b, `${at}.backingKeys[${i}]`, path));
  if (!backing.some((b) => b.id === currentBackingKey)) throw damaged(path, `${at}.currentBackingKey names no backing key`);
  const multiRegion = parseMultiRegion(f['multiRegion'], keyId, `${at}.multiRegion`, path);
  return {
    keyId: keyId.toLowerCase(), arn: arn as string, description: description as string, enabled,
    createdAt: createdAt as string, aliases: [...(aliases as string[])], rotationEnabled, backingKeys: backing,
    currentBackingKey: currentBackingKey as number, ...(multiRegion === undefined ? {} : { multiRegion }),
  };
}

/** An `mrk-` key must say which key is its primary; a UUID key must not claim to be multi-region. */
function parseMultiRegion(value: unknown, keyId: string, at: string, path: string): MultiRegionRecord | undefined {
  const mrk = keyId.toLowerCase().startsWith('mrk-');
  if (value === undefined && !mrk) return undefined;
  const f = asFields(value);
  if (f === undefined || !mrk) throw damaged(path, at);
  const { primaryArn, replicaArns } = f;
  if (typeof primaryArn !== 'string' || !Array.isArray(replicaArns) || !replicaArns.every((a) => typeof a === 'string')) throw damaged(path, at);
  return { primaryArn, replicaArns: [...(replicaArns as string[])] };
}

/** Validate the `{ keys: [...] }` part of a keyring; ids and aliases must be unique. */
function parseKeyringData(value: unknown, path: string): KeyringData {
  const keys = asFields(value)?.['keys'];
  if (!Array.isArray(keys)) throw damaged(path, 'no "keys" list');
  const parsed = keys.map((k: unknown, i) => parseMasterKey(k, `keys[${i}]`, path));
  const ids = new Set(parsed.map((k) => k.keyId));
  const aliases = parsed.flatMap((k) => k.aliases);
  if (ids.size !== parsed.length || new Set(aliases).size !== aliases.length) throw damaged(path, 'duplicate key id or alias');
  return { keys: parsed };
}

function parseSealParams(box: unknown, path: string): { N: number; r: number; p: number; salt: string; nonce: string; ciphertext: string } {
  const f = asFields(box) ?? {};
  const { N, r, p, salt, nonce, ciphertext } = f;
  const inRange = (v: unknown, max: number): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
  const powerOfTwo = inRange(N, 2 ** 20) && N >= 2 ** 10 && (N & (N - 1)) === 0;
  if (f['kdf'] !== 'scrypt' || !powerOfTwo || !inRange(r, 16) || !inRange(p, 4)) throw damaged(path, 'bad scrypt parameters');
  if (typeof salt !== 'string' || typeof nonce !== 'string' || typeof ciphertext !== 'string') {
    throw damaged(path, 'bad "encrypted" section');
  }
  return { N, r, p, salt, nonce, ciphertext };
}

function unsealKeyring(box: unknown, path: string, derive: DeriveKey | undefined): ParsedKeyring {
  if (derive === undefined) throw new ConfigError(`keyring ${path} is protected by a passphrase; set KEYSTASH_KMS_PASSPHRASE`);
  const { nonce, ciphertext, ...params } = parseSealParams(box, path);
  let seal: KeyringSeal;
  try {
    seal = { ...params, key: derive(params) };
  } catch {
    throw damaged(path, 'bad scrypt salt');
  }
  let plain: Uint8Array;
  try {
    plain = gcmDecrypt(seal.key, base64ToBytes(nonce), sealAad(seal), base64ToBytes(ciphertext));
  } catch {
    throw new ConfigError(`cannot unlock keyring ${path}: wrong KEYSTASH_KMS_PASSPHRASE`);
  }
  try {
    return { data: parseKeyringData(JSON.parse(bytesToUtf8(plain)), path), seal };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw damaged(path, 'sealed contents are not valid JSON');
  } finally {
    plain.fill(0);
  }
}

/**
 * Parse a keyring file's text. `derive` is needed only for a sealed keyring (no passphrase →
 * a ConfigError saying to set KEYSTASH_KMS_PASSPHRASE; wrong passphrase → "cannot unlock").
 */
export function parseKeyring(text: string, path: string, derive?: DeriveKey): ParsedKeyring {
  let outer: unknown;
  try {
    outer = JSON.parse(text);
  } catch {
    // No cause kept: JSON.parse messages quote the file's contents.
    throw damaged(path, 'not valid JSON');
  }
  const f = asFields(outer);
  if (f?.['format'] !== KEYRING_FORMAT || f['version'] !== KEYRING_VERSION) {
    throw new ConfigError(`keyring ${path} is not a ${KEYRING_FORMAT} version ${KEYRING_VERSION} file`);
  }
  if (f['encrypted'] === undefined) return { data: parseKeyringData(outer, path), seal: undefined };
  return unsealKeyring(f['encrypted'], path, derive);
}

/** A new seal for a keyring created with a passphrase: fresh 16-byte salt, KEYRING_KDF cost. */
export function newKeyringSeal(derive: DeriveKey): KeyringSeal {
  const params = { ...KEYRING_KDF, salt: bytesToBase64(randomBytes(16)) };
  return { ...params, key: derive(params) };
}

/** The file text for `data`: plain JSON, or sealed under `seal` with a fresh nonce. */
export function serializeKeyring(data: KeyringData, seal: KeyringSeal | undefined): string {
  const head = { format: KEYRING_FORMAT, version: KEYRING_VERSION };
  if (seal === undefined) return `${JSON.stringify({ ...head, keys: data.keys }, null, 2)}\n`;
  const plain = utf8ToBytes(JSON.stringify({ keys: data.keys }));
  const nonce = randomBytes(NONCE_BYTES);
  try {
    const ciphertext = bytesToBase64(gcmEncrypt(seal.key, nonce, sealAad(seal), plain));
    const { N, r, p, salt } = seal;
    const encrypted = { kdf: 'scrypt', N, r, p, salt, nonce: bytesToBase64(nonce), ciphertext };
    return `${JSON.stringify({ ...head, encrypted }, null, 2)}\n`;
  } finally {
    plain.fill(0);
  }
}

/** `alias/x` or an alias ARN → 'alias/x'; undefined for a key id or key ARN. */
export function aliasNameOf(ref: string): string | undefined {
  if (ref.startsWith('alias/')) return ref;
  return ALIAS_ARN_RE.exec(ref)?.[1];
}

/**
 * Find a key by key id, key ARN, alias name or alias ARN. ARNs match by key id / alias name
 * alone (region and account are not compared: one keyring may be served under any region).
 */
export function findKey(data: KeyringData | undefined, ref: string): MasterKeyRecord | undefined {
  if (data === undefined) return undefined;
  const alias = aliasNameOf(ref);
  if (alias !== undefined) return data.keys.find((k) => k.aliases.includes(alias));
  const id = (KEY_ARN_RE.exec(ref)?.[1] ?? ref).toLowerCase();
  return data.keys.find((k) => k.keyId === id);
}

/** A backing key of 32 fresh random bytes (the decoded copy is wiped). */
export function newBackingKey(id: number, createdAt: string): BackingKeyRecord {
  const material = randomBytes(BACKING_KEY_BYTES);
  try {
    return { id, material: bytesToBase64(material), createdAt };
  } finally {
    material.fill(0);
  }
}

/**
 * A new enabled master key with backing key 1: its id a random v4 UUID (RFC 9562 §5.4), or with
 * `multiRegion` `mrk-` and 32 random hex digits (the form of AWS KMS multi-region key ids), a
 * primary with no replicas yet.
 */
export function newMasterKey(options: { arnPrefix: string; description: string; alias?: string; createdAt: string; multiRegion?: boolean }): MasterKeyRecord {
  const bytes = randomBytes(16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10
  const keyId = options.multiRegion === true ? `mrk-${bytesToHex16(bytes)}` : bytesToUuid(bytes);
  const { arnPrefix, description, alias, createdAt } = options;
  const aliases = alias === undefined ? [] : [alias];
  const backingKeys = [newBackingKey(1, createdAt)];
  const arn = `${arnPrefix}:key/${keyId}`;
  const key: MasterKeyRecord = { keyId, arn, description, enabled: true, createdAt, aliases, rotationEnabled: false, backingKeys, currentBackingKey: 1 };
  if (options.multiRegion === true) key.multiRegion = { primaryArn: arn, replicaArns: [] };
  return key;
}

/** The KeyManager view of a key record (no key material). */
export function toMetadata(key: MasterKeyRecord): KeyMetadata {
  const { keyId, arn, description, enabled, createdAt, rotationEnabled, currentBackingKey } = key;
  const backingKeyCount = key.backingKeys.length;
  const meta: KeyMetadata = { keyId, arn, description, enabled, createdAt, aliases: [...key.aliases], backingKeyCount, currentBackingKey, rotationEnabled, multiRegion: key.multiRegion !== undefined };
  if (key.multiRegion !== undefined) {
    meta.multiRegionConfiguration = { primaryArn: key.multiRegion.primaryArn, replicaArns: [...key.multiRegion.replicaArns], keyType: key.multiRegion.primaryArn === arn ? 'PRIMARY' : 'REPLICA' };
  }
  return meta;
}
