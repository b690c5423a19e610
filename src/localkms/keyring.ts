/**
 * The local KMS keyring file on disk (docs/architecture.md "Local KMS"); its text format is
 * keyring-format.ts. Guarantees:
 *
 * - Reads take no lock. Every read re-checks the file (one fstat), so several processes and a
 *   long-running server see each other's changes; an unchanged file is not parsed again.
 * - A keyring readable or writable by group or world, owned by another user, reached through a
 *   symbolic link, or in a data directory others can write, is refused before it is parsed.
 * - With a passphrase, a plain keyring is refused (a swapped-in plain keyring would be a
 *   downgrade); `seal()` and `unseal()` convert one form into the other.
 * - Creation is atomic: a complete 0600 temp file is hard-linked into place; `link` fails with
 *   EEXIST when another process won the race, and the loser re-reads the winner's keyring.
 * - Changes hold `<file>.lock` (O_EXCL; bounded wait; a lock older than 30 s is stale), re-read,
 *   modify, write a temp file, fsync and rename: readers see the old or the new keyring, never a
 *   torn one.
 * - A passphrase-derived key is computed once per salt and kept in memory until `forget()`.
 */
import {
  closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync,
  statSync, unlinkSync, writeFileSync,
} from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { platform } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes, scryptKey } from '../envelope/primitives.js';
import { ConfigError, KmsError } from '../errors.js';
import { checkOwnedPath, checkOwnedStat } from '../fs-safety.js';
import { base64ToBytes, bytesToHex, utf8ToBytes } from '../envelope/codec.js';
import { newKeyringSeal, parseKeyring, serializeKeyring } from './keyring-format.js';
import type { DeriveKey, KeyringData, ParsedKeyring } from './keyring-format.js';

/** Record types of the keyring, re-exported for callers of this module. */
export type { BackingKeyRecord, KeyringData, MasterKeyRecord } from './keyring-format.js';

/** How long a change waits for `<file>.lock` before failing with KmsError 'kms.keyringLocked'. */
const LOCK_TIMEOUT_MS = 5_000;
/** A lock file older than this was left by a crashed process and is removed. */
const STALE_LOCK_MS = 30_000;

const DERIVED_KEY_BYTES = 32;
/** Opening the keyring never follows a symbolic link (0 where the platform has no such flag). */
const READ_NO_FOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** One keyring file. Construction does no I/O. */
export class KeyringFile {
  /** Path of the keyring file. */
  readonly path: string;
  readonly #passphrase: string | undefined;
  readonly #derived = new Map<string, Uint8Array>();
  /** scrypt(passphrase, salt), cached per parameters and salt; undefined without a passphrase. */
  readonly #derive: DeriveKey | undefined;
  #cache: { signature: string; parsed: ParsedKeyring } | undefined;

  /** `passphrase` ('' counts as none) seals new keyrings and unlocks sealed ones. */
  constructor(path: string, passphrase?: string) {
    this.path = path;
    this.#passphrase = passphrase === '' ? undefined : passphrase;
    this.#derive = this.#passphrase === undefined ? undefined : (params) => this.#deriveCached(params);
  }

  /** The current keyring, or undefined when the file does not exist yet. Treat as read-only. */
  read(): KeyringData | undefined {
    return this.#load(true)?.data;
  }

  /**
   * Create the keyring with `build()`'s content (sealed when a passphrase is set) if no file
   * exists, creating its directory 0700. Returns false when a keyring already existed, possibly
   * created by another process an instant ago.
   */
  createIfAbsent(build: () => KeyringData): boolean {
    if (this.#load(true) !== undefined) return false;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw this.#ioError('create the directory of', err);
    }
    checkOwnedPath(dirname(this.path), 'data directory');
    const text = serializeKeyring(build(), this.#derive === undefined ? undefined : newKeyringSeal(this.#derive));
    return this.#writeTemp(text, (tmp) => {
      try {
        linkSync(tmp, this.path);
        return true;
      } catch (err) {
        if (errnoOf(err) === 'EEXIST') return false;
        throw err;
      }
    });
  }

  /**
   * Run `mutate` on a fresh copy of the keyring under the exclusive lock and write the result
   * back atomically (in the file's existing plain or sealed form) if it changed. Whatever
   * `mutate` throws propagates and nothing is written. The keyring must exist.
   */
  async update<T>(mutate: (data: KeyringData) => T): Promise<T> {
    const release = await this.#lock();
    try {
      const parsed = this.#load(false);
      if (parsed === undefined) throw new ConfigError(`keyring ${this.path} disappeared while it was being changed`);
      const before = JSON.stringify(parsed.data);
      const result = mutate(parsed.data);
      if (JSON.stringify(parsed.data) !== before) this.#replace(serializeKeyring(parsed.data, parsed.seal));
      return result;
    } finally {
      release();
    }
  }

  /**
   * Rewrite the keyring sealed under the passphrase (`kms seal`), with a fresh salt at the
   * current KEYRING_KDF cost. ConfigError without a passphrase or when it is sealed already.
   */
  async seal(): Promise<void> {
    const derive = this.#derive;
    if (derive === undefined) throw new ConfigError('set KEYSTASH_KMS_PASSPHRASE to the passphrase that should seal the keyring');
    await this.#convert((parsed) => {
      if (parsed.seal !== undefined) throw new ConfigError(`keyring ${this.path} is sealed already`);
      return serializeKeyring(parsed.data, newKeyringSeal(derive));
    });
  }

  /**
   * Rewrite a sealed keyring in plain JSON (`kms unseal`): only with its passphrase. ConfigError
   * when it is not sealed.
   */
  async unseal(): Promise<void> {
    if (this.#derive === undefined) throw new ConfigError('set KEYSTASH_KMS_PASSPHRASE to the passphrase of the keyring to unseal it');
    await this.#convert((parsed) => {
      if (parsed.seal === undefined) throw new ConfigError(`keyring ${this.path} is not sealed`);
      return serializeKeyring(parsed.data, undefined);
    });
  }

  async #convert(render: (parsed: ParsedKeyring) => string): Promise<void> {
    const release = await this.#lock();
    try {
      const parsed = this.#load(false, true);
      if (parsed === undefined) throw new ConfigError(`no keyring at ${this.path} yet; create a key first (keystash kms create-key)`);
      this.#replace(render(parsed));
    } finally {
      release();
    }
  }

  /** Wipe passphrase-derived keys held in memory and drop the parsed keyring. */
  forget(): void {
    for (const key of this.#derived.values()) key.fill(0);
    this.#derived.clear();
    this.#cache = undefined;
  }

  #deriveCached({ N, r, p, salt }: { N: number; r: number; p: number; salt: string }): Uint8Array {
    const id = `${N}/${r}/${p}/${salt}`;
    let key = this.#derived.get(id);
    if (key === undefined) {
      key = scryptKey(utf8ToBytes(this.#passphrase ?? ''), base64ToBytes(salt, 'keyring salt'), { N, r, p, dkLen: DERIVED_KEY_BYTES });
      this.#derived.set(id, key);
    }
    return key;
  }

  /** `allowPlain`: read a plain keyring even with a passphrase (only `seal()` does). */
  #load(useCache: boolean, allowPlain = false): ParsedKeyring | undefined {
    if (useCache && this.#cache !== undefined) {
      // Fast path of a bulk read: one lstat (not open + fstat + close) shows the file unchanged.
      let stat;
      try {
        stat = lstatSync(this.path, { bigint: true });
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return undefined;
        throw this.#ioError('read', err);
      }
      this.#checkSafe(stat);
      if (this.#cache.signature === signatureOf(stat)) return this.#cache.parsed;
    }
    checkOwnedPath(dirname(this.path), 'data directory');
    let fd: number;
    try {
      fd = openSync(this.path, READ_NO_FOLLOW);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      if (errnoOf(err) === 'ELOOP') checkOwnedPath(this.path, 'keyring');
      throw this.#ioError('read', err);
    }
    try {
      const stat = fstatSync(fd, { bigint: true });
      this.#checkSafe(stat);
      const signature = signatureOf(stat);
      if (useCache && this.#cache?.signature === signature) return this.#cache.parsed;
      const parsed = parseKeyring(readFileSync(fd, 'utf8'), this.path, this.#derive);
      if (parsed.seal === undefined && this.#derive !== undefined && !allowPlain) {
        throw new ConfigError(
          `keyring ${this.path} is not sealed, but KEYSTASH_KMS_PASSPHRASE is set (a plain keyring put in place of a sealed one would be a downgrade); if it is your keyring, seal it: keystash kms seal`,
          { code: 'config.keyringNotSealed' },
        );
      }
      // A copy loaded for a change is mutated in place, so only plain reads are cached.
      if (useCache) this.#cache = { signature, parsed };
      return parsed;
    } finally {
      closeSync(fd);
    }
  }

  #checkSafe(stat: BigIntStats): void {
    const mode = Number(stat.mode);
    // Mode bits are checked below, more strictly (no access at all for group and others).
    checkOwnedStat(this.path, { isSymbolicLink: () => stat.isSymbolicLink(), uid: Number(stat.uid), mode }, 'keyring', 0);
    if (!stat.isFile()) throw new ConfigError(`keyring ${this.path} is not a regular file`);
    if (platform() === 'win32' || (mode & 0o077) === 0) return;
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new ConfigError(`keyring ${this.path} is accessible by other users (mode ${octal}); run: chmod 600 ${this.path}`);
  }

  /** Write `text` to a fresh 0600 temp file beside the keyring, fsync it, hand it to `place`. */
  #writeTemp<T>(text: string, place: (tmp: string) => T): T {
    const tmp = `${this.path}.${bytesToHex(randomBytes(6))}.tmp`;
    try {
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeFileSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return place(tmp);
    } catch (err) {
      throw this.#ioError('write', err);
    } finally {
      this.#cache = undefined;
      unlinkQuietly(tmp);
    }
  }

  #replace(text: string): void {
    this.#writeTemp(text, (tmp) => renameSync(tmp, this.path));
    try {
      const dirFd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // fsync of a directory is best effort (not supported on every platform)
    }
  }

  async #lock(): Promise<() => void> {
    const lockPath = `${this.path}.lock`;
    const token = bytesToHex(randomBytes(16));
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        writeFileSync(lockPath, token, { flag: 'wx', mode: 0o600 });
        return () => releaseLock(lockPath, token);
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw this.#ioError('lock', err);
      }
      breakStaleLock(lockPath, token);
      if (Date.now() > deadline) {
        const message = `keyring ${this.path} is locked by another process; if no keystash process is running, delete ${lockPath}`;
        throw new KmsError(message, { code: 'kms.keyringLocked' });
      }
      await sleep(5 + Math.floor(Math.random() * 20));
    }
  }

  #ioError(action: string, err: unknown): ConfigError {
    return new ConfigError(`cannot ${action} keyring ${this.path}: ${errnoOf(err) ?? 'I/O error'}`, { cause: err });
  }
}

function releaseLock(lockPath: string, token: string): void {
  try {
    // Remove only our own lock: a stale-lock breaker may have replaced it.
    if (readFileSync(lockPath, 'utf8') === token) unlinkSync(lockPath);
  } catch {
    // lock already gone
  }
}

/**
 * Remove a lock left by a crashed process. The lock is first renamed to a private name (atomic:
 * only one waiter moves a given lock); if what was moved turns out to be fresh it is put back.
 */
function breakStaleLock(lockPath: string, token: string): void {
  try {
    if (Date.now() - statSync(lockPath).mtimeMs < STALE_LOCK_MS) return;
    const moved = `${lockPath}.${token}.stale`;
    renameSync(lockPath, moved);
    if (Date.now() - statSync(moved).mtimeMs < STALE_LOCK_MS) {
      try {
        linkSync(moved, lockPath);
      } catch {
        // another waiter already holds a new lock
      }
    }
    unlinkQuietly(moved);
  } catch {
    // the lock was released or broken by someone else meanwhile
  }
}

/** What identifies one version of the keyring file (a rewrite changes the inode, size or times). */
function signatureOf(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}
