/**
 * One secret store over several regions (issue 23; README "Multi-region"): a SecretStore and a
 * KeyService that route each call to one of the configured regions, `[home, fallback…]`.
 *
 * - Reads go to the home region and fall back to the next region when the region is out: the
 *   endpoint was not reached or did not answer in time, answered 5xx, or throttled, after the
 *   SDK's own retries (see {@link isRegionOutage}). Any other error (not found, access denied, a
 *   tampered row) is the answer and is not retried elsewhere.
 * - Decrypt goes first to the region whose store served the row (a multi-region key's replica
 *   there unwraps it with no call to the home region), then to the others.
 * - Writes go to the home region only: a conditional put is atomic within one region, and two
 *   regions could each store version N of a name. With `anyRegion` (the CLI's --any-region) a
 *   write falls back like a read; without it an outage of the home region is a StoreError/KmsError
 *   'region.homeDown' saying so.
 *
 * A region's backends are opened on first use (so a fallback region's requests get their own
 * deadline, counted from when the fallback starts). Core: no I/O of its own, no printing; the
 * caller learns of fallbacks through `onFallback`.
 */
import { hasErrorCode, KeystashError, KmsError, StoreError, type ErrorCode } from '../../errors.js';
import type {
  DataKey, DecryptRequest, DecryptResult, EncryptRequest, EncryptResult, GenerateDataKeyRequest, KeyService, ReEncryptRequest, ReEncryptResult,
} from '../../envelope/keyservice.js';
import type { SecretMeta, SecretRow, SecretStore, StoreSetupOptions, StoreSetupResult } from '../../secretstore/types.js';

/** The store and key service of one region. */
interface RegionBackends {
  store: SecretStore;
  keys: KeyService;
}

/** One configured region and how to open its backends (called at most once). */
interface RegionSpec {
  region: string;
  open: () => Promise<RegionBackends>;
}

/** A fallback: `to` answered because `from` was out (`reason`: the error of `from`). */
export interface RegionFallback {
  from: string;
  to: string;
  /** 'store' or 'kms': which service of `from` was out. */
  service: 'store' | 'kms';
  /** What failed, e.g. 'getLatest'. */
  operation: string;
  reason: string;
}

interface RegionRouterOptions {
  /** Let writes fall back too (--any-region). */
  anyRegion?: boolean;
  /** Called once per fallback to a region (not once per request). */
  onFallback?: (event: RegionFallback) => void;
}

/** Error codes of a region being out (after the SDK's retries). */
const OUTAGE_CODES: readonly ErrorCode[] = ['store.unreachable', 'store.timeout', 'store.throttled', 'kms.unreachable', 'kms.timeout', 'kms.throttled'];

/**
 * True when `err` says the region is out rather than answering: unreachable, timed out (one
 * attempt or the region's deadline), throttled, or a 5xx server fault (carried as the cause).
 */
export function isRegionOutage(err: unknown): boolean {
  if (!(err instanceof KeystashError)) return false;
  if (hasErrorCode(err, OUTAGE_CODES)) return true;
  const cause = err.cause as { $fault?: unknown; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = cause?.$metadata?.httpStatusCode;
  return cause?.$fault === 'server' || (typeof status === 'number' && status >= 500);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** The regions of one command, opened lazily; shared by the RegionalStore and RegionalKeys. */
export class RegionRouter {
  readonly regions: readonly string[];
  readonly #specs: readonly RegionSpec[];
  readonly #opened = new Map<number, Promise<RegionBackends>>();
  readonly #options: RegionRouterOptions;
  readonly #announced = new Set<string>();
  /** Index of the region whose store answered the last read. */
  servedBy = 0;

  constructor(specs: readonly RegionSpec[], options: RegionRouterOptions = {}) {
    if (specs.length === 0) throw new RangeError('at least one region');
    this.#specs = specs;
    this.regions = specs.map((s) => s.region);
    this.#options = options;
  }

  /** The region that served the last read (the home region until a fallback). */
  get servedRegion(): string {
    return this.regions[this.servedBy] ?? '';
  }

  backends(index: number): Promise<RegionBackends> {
    let opened = this.#opened.get(index);
    if (opened === undefined) {
      opened = this.#specs[index]!.open();
      this.#opened.set(index, opened);
    }
    return opened;
  }

  /**
   * Run `call` in the regions of `order` until one is not out. `write`: without anyRegion only
   * the first region of `order` is tried, and its outage becomes 'region.homeDown'.
   */
  async route<T>(service: 'store' | 'kms', operation: string, order: readonly number[], write: boolean, call: (b: RegionBackends, index: number) => Promise<T>): Promise<T> {
    const tried = write && this.#options.anyRegion !== true ? order.slice(0, 1) : order;
    let last: unknown;
    for (let i = 0; i < tried.length; i++) {
      const index = tried[i]!;
      try {
        const result = await call(await this.backends(index), index);
        if (i > 0) this.#announce(service, operation, tried[0]!, index, last);
        return result;
      } catch (err) {
        if (!isRegionOutage(err)) throw err;
        last = err;
      }
    }
    if (write && this.#options.anyRegion !== true && this.regions.length > 1) throw this.#homeDown(service, operation, tried[0]!, last);
    throw last;
  }

  /** Home first, then the fallbacks. */
  inOrder(): number[] {
    return this.regions.map((_, i) => i);
  }

  /** The region that served the last read first, then the others in order. */
  servedFirst(): number[] {
    return [this.servedBy, ...this.inOrder().filter((i) => i !== this.servedBy)];
  }

  #announce(service: 'store' | 'kms', operation: string, from: number, to: number, reason: unknown): void {
    const key = `${service}:${from}:${to}`;
    if (this.#announced.has(key)) return;
    this.#announced.add(key);
    this.#options.onFallback?.({ from: this.regions[from]!, to: this.regions[to]!, service, operation, reason: firstLine(reason) });
  }

  #homeDown(service: 'store' | 'kms', operation: string, index: number, cause: unknown): KeystashError {
    const region = this.regions[index];
    const what = service === 'store' ? 'DynamoDB' : 'KMS';
    const message =
      `the home region ${region} is unavailable (${what}: ${firstLine(cause)}); writes go to the home region only ` +
      `(a conditional put is atomic within one region, and two regions could store the same version); ` +
      `to write in the next region during the outage, rerun with --any-region (then run keystash verify once ${region} is back)`;
    return service === 'store' ? new StoreError(message, { code: 'region.homeDown', cause }) : new KmsError(message, { code: 'region.homeDown', cause });
  }

  close(): void {
    for (const opened of this.#opened.values()) {
      opened.then((b) => {
        b.store.close();
        b.keys.close?.();
      }, () => {});
    }
  }
}

/** A SecretStore over the regions of a RegionRouter (see the module comment). */
export class RegionalStore implements SecretStore {
  readonly #router: RegionRouter;

  constructor(router: RegionRouter) {
    this.#router = router;
  }

  #read<T>(operation: string, call: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.#router.route('store', operation, this.#router.inOrder(), false, async (b, index) => {
      const result = await call(b.store);
      this.#router.servedBy = index;
      return result;
    });
  }

  #write<T>(operation: string, call: (store: SecretStore) => Promise<T>): Promise<T> {
    return this.#router.route('store', operation, this.#router.inOrder(), true, (b) => call(b.store));
  }

  /** A listing from the first region that is not out; a region failing mid-listing is not switched (rows could repeat). */
  async *#readAll<T>(operation: string, list: (store: SecretStore) => AsyncIterable<T>): AsyncIterable<T> {
    const router = this.#router;
    const state = { first: undefined as IteratorResult<T> | undefined, iterator: undefined as AsyncIterator<T> | undefined };
    await router.route('store', operation, router.inOrder(), false, async (b, index) => {
      const iterator = list(b.store)[Symbol.asyncIterator]();
      state.first = await iterator.next();
      state.iterator = iterator;
      router.servedBy = index;
    });
    const { iterator } = state;
    if (iterator === undefined) return;
    for (let next = state.first; next !== undefined && !next.done; next = await iterator.next()) yield next.value;
  }

  putVersion(record: SecretRow): Promise<void> {
    return this.#write('putVersion', (s) => s.putVersion(record));
  }

  async putVersions(records: Iterable<SecretRow>): Promise<void> {
    const rows = [...records];
    await this.#write('putVersions', async (s) => {
      if (s.putVersions !== undefined) await s.putVersions(rows);
      else for (const row of rows) await s.putVersion(row);
    });
  }

  getVersion(name: string, version: string): Promise<SecretRow | undefined> {
    return this.#read('getVersion', (s) => s.getVersion(name, version));
  }

  getLatest(name: string): Promise<SecretRow | undefined> {
    return this.#read('getLatest', (s) => s.getLatest(name));
  }

  listVersions(name: string): AsyncIterable<SecretMeta> {
    return this.#readAll('listVersions', (s) => s.listVersions(name));
  }

  listAll(): AsyncIterable<SecretMeta> {
    return this.#readAll('listAll', (s) => s.listAll());
  }

  listRows(): AsyncIterable<SecretRow> {
    return this.#readAll('listRows', (s) => s.listRows());
  }

  deleteVersions(name: string, version?: string): Promise<SecretMeta[]> {
    return this.#write('deleteVersions', (s) => s.deleteVersions(name, version));
  }

  replaceKey(name: string, version: string, expectedKey: string, newKey: string): Promise<boolean> {
    return this.#write('replaceKey', (s) => s.replaceKey(name, version, expectedKey, newKey));
  }

  setup(options?: StoreSetupOptions): Promise<StoreSetupResult> {
    return this.#write('setup', (s) => s.setup(options));
  }

  close(): void {
    this.#router.close();
  }
}

/** A KeyService over the regions of a RegionRouter: decrypt where the row came from, wrap at home. */
export class RegionalKeys implements KeyService {
  readonly #router: RegionRouter;

  constructor(router: RegionRouter) {
    this.#router = router;
  }

  generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey> {
    return this.#router.route('kms', 'GenerateDataKey', this.#router.inOrder(), true, (b) => b.keys.generateDataKey(request));
  }

  decrypt(request: DecryptRequest): Promise<DecryptResult> {
    return this.#router.route('kms', 'Decrypt', this.#router.servedFirst(), false, (b) => b.keys.decrypt(request));
  }

  encrypt(request: EncryptRequest): Promise<EncryptResult> {
    return this.#router.route('kms', 'Encrypt', this.#router.inOrder(), true, (b) => b.keys.encrypt(request));
  }

  reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult> {
    return this.#router.route('kms', 'ReEncrypt', this.#router.inOrder(), true, (b) => b.keys.reEncrypt(request));
  }

  /** Read from the blob, not a request: the home region's key service answers, without a fallback. */
  async wrappingKeyId(ciphertextBlob: Uint8Array): Promise<string | undefined> {
    return (await this.#router.backends(0)).keys.wrappingKeyId(ciphertextBlob);
  }

  async describeKeyArn(keyId: string): Promise<string> {
    return this.#router.route('kms', 'DescribeKey', this.#router.inOrder(), false, async (b) => {
      if (b.keys.describeKeyArn === undefined) return keyId;
      return b.keys.describeKeyArn(keyId);
    });
  }

  close(): void {
    // the router (closed with the store) owns every region's backends
  }
}
