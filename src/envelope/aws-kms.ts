/**
 * AwsKmsKeyService: the KeyService backed by AWS KMS through @aws-sdk/client-kms (docs/conventions.md §5).
 * Requests have credstash's shape (docs/format.md §2.1): GenerateDataKey with KeyId,
 * NumberOfBytes and an EncryptionContext that is always sent (`{}` when none); Decrypt with
 * CiphertextBlob and EncryptionContext, no KeyId — unless `decryptKeys` is set: then Decrypt (and
 * ReEncrypt's source) names each allowed key in turn (AWS's guidance, "Decrypt: KeyId") and a row
 * wrapped by any other key is refused (KmsError 'kms.keyNotAllowed'). SDK errors are translated by `err.name` into
 * DecryptError / KmsError with the original kept as `cause` (docs/conventions.md §8); the texts keep
 * credstash's prefixes (docs/format.md §2.5) and say what to do.
 */
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand, ReEncryptCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsErrorMessage, credentialProblem, isNetworkError, isServiceError, isThrottled, sdkAttempts, transportFailure } from '../aws/sdk-errors.js';
import { DecryptError, KmsError } from '../errors.js';
import type { ErrorCode, KeystashError } from '../errors.js';
import type {
  DataKey, DecryptRequest, DecryptResult, EncryptRequest, EncryptResult, GenerateDataKeyRequest, KeyService, ReEncryptRequest,
  ReEncryptResult,
} from './keyservice.js';

/** Options of {@link AwsKmsKeyService}. */
interface AwsKmsKeyServiceOptions {
  /** A configured client (region, endpoint, credentials); destroyed by close() only with `ownsClient`. */
  client: KMSClient;
  /** close() destroys the client (its keep-alive sockets close at once, not when the server drops them). */
  ownsClient?: boolean | undefined;
  /**
   * Keys (ids, ARNs or aliases) allowed to unwrap data keys; undefined = any key the caller may
   * use (credstash's behaviour). Config `decryptKeys`, CLI `--decrypt-key`.
   */
  decryptKeys?: readonly string[] | undefined;
}

/** What a failed call was doing, for the error text. */
interface CallSite {
  /** IAM action needed, e.g. 'kms:GenerateDataKey'. */
  action: string;
  /** Key the call named, when it named one. */
  keyId?: string;
}

/** KMS's request-rate limit answer, besides the throttling names every service uses. */
const KMS_THROTTLED: ReadonlySet<string> = new Set(['LimitExceededException']);

/** The name shown in `[Name: message]` details; 'Error' for a thrown non-Error. */
function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function keyLabel(site: CallSite): string {
  return site.keyId === undefined ? 'the KMS key that wrapped this data key' : `KMS key '${site.keyId}'`;
}

/** SDK error → keystash error (without the credstash prefixes). */
function classify(err: unknown, site: CallSite, endpoint: string, handler: unknown): KeystashError {
  const name = errorName(err);
  const detail = `${name}: ${awsErrorMessage(err)}`;
  const options = (code: ErrorCode) => ({ code, cause: err });
  const transport = transportFailure(err, handler);
  if (transport?.kind === 'deadline') {
    return new KmsError(`KMS at ${endpoint} did not answer ${site.action.slice(4)} in time: ${transport.text}; check the endpoint and the network`, { code: 'kms.timeout', cause: err });
  }
  if (transport?.kind === 'timeout') {
    return new KmsError(`Cannot reach KMS at ${endpoint}: ${transport.text} (check the region, the endpoint and the network) [${detail}]`, options('kms.unreachable'));
  }
  if (transport?.kind === 'notAws') {
    return new KmsError(`the endpoint ${endpoint} answered ${site.action.slice(4)} with ${transport.status} and a body that is not a KMS response: it is not a KMS endpoint (check --endpoint-url, AWS_ENDPOINT_URL_KMS and the region)`, { code: 'kms.notKms', cause: err });
  }
  if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException') return new DecryptError(undefined, { cause: err });
  if (name === 'NotFoundException') {
    return new KmsError(`${capital(keyLabel(site))} not found (check the key id/alias and region; create it or pass -k) [${detail}]`, options('kms.notFound'));
  }
  if (name === 'DisabledException' || name === 'KMSInvalidStateException') {
    return new KmsError(`${capital(keyLabel(site))} is disabled or not usable (enable it, or pass -k with another key) [${detail}]`, options('kms.disabled'));
  }
  if (name === 'AccessDeniedException' && site.action === 'kms:Decrypt') {
    // KMS answers AccessDenied both for a missing grant and for a blob of a key this account cannot use.
    return new KmsError(`Access denied or the key cannot unwrap this row (another KMS, disabled key): this identity may need kms:Decrypt on the key that wrapped this data key (a policy limited to an encryption context, iam-policy --context, needs the same key=value pairs on the command), or the row was written through another key service (restore it with --rewrap-from) [${detail}]`, options('kms.accessDenied'));
  }
  if (name === 'AccessDeniedException') {
    return new KmsError(
      `Access denied: this identity needs ${site.action} on ${keyLabel(site)} (grant it in the key policy or IAM policy; a policy limited to an encryption context, iam-policy --context, needs the same key=value pairs on the command) [${detail}]`,
      options('kms.accessDenied'),
    );
  }
  if (name === 'ValidationException') {
    return new KmsError(`KMS rejected the ${site.action.slice(4)} request as invalid [${detail}]`, options('kms.validation'));
  }
  if (isThrottled(err, KMS_THROTTLED)) {
    const attempts = sdkAttempts(err);
    const tries = attempts === undefined ? '' : ` after ${attempts} attempt(s)`;
    return new KmsError(`KMS throttled the request${tries}; retry later or run fewer operations in parallel [${detail}]`, options('kms.throttled'));
  }
  if (credentialProblem(err) !== undefined) {
    return new KmsError(`AWS credentials are missing or were rejected by KMS (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or refresh expired credentials) [${detail}]`, options('kms.credentials'));
  }
  if (isNetworkError(err)) {
    return new KmsError(`Cannot reach KMS at ${endpoint} (check the region, the endpoint and the network) [${detail}]`, options('kms.unreachable'));
  }
  return new KmsError(`KMS ${site.action.slice(4)} failed [${detail}]`, options('kms.error'));
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Build a result around a returned plaintext data key; when another member is missing (an
 * endpoint that is not quite KMS) the key is zeroed before the error propagates.
 */
function withPlaintext<T>(plaintext: Uint8Array | undefined, action: string, build: (plaintext: Uint8Array) => T): T {
  const key = required(plaintext, 'Plaintext', action);
  try {
    return build(key);
  } catch (error) {
    key.fill(0);
    throw error;
  }
}

function required<T>(value: T | undefined, member: string, action: string): T {
  if (value === undefined) throw new KmsError(`KMS ${action.slice(4)} returned no ${member}; the endpoint may not be a KMS service`, { code: 'kms.error' });
  return value;
}

/** KeyService over AWS KMS (or any endpoint speaking its protocol, such as `keystash kms serve`). */
/** The sizes KMS accepts as a CiphertextBlob (bytes). */
const CIPHERTEXT_BYTES = { min: 1, max: 6144 };

/**
 * A stored wrapped key outside KMS's CiphertextBlob sizes (e.g. a row's key truncated to nothing)
 * cannot be a KMS ciphertext: DecryptError, as KMS answers any other damaged blob
 * (InvalidCiphertextException) and as the local KMS does, instead of the request error KMS would
 * give (ValidationException, exit 7) after a round trip.
 */
function refuseNonCiphertext(blob: Uint8Array): void {
  if (blob.length < CIPHERTEXT_BYTES.min || blob.length > CIPHERTEXT_BYTES.max) throw new DecryptError();
}

export class AwsKmsKeyService implements KeyService {
  readonly #client: KMSClient;
  readonly #decryptKeys: readonly string[] | undefined;
  readonly #ownsClient: boolean;

  constructor(options: AwsKmsKeyServiceOptions) {
    this.#client = options.client;
    this.#ownsClient = options.ownsClient === true;
    this.#decryptKeys = options.decryptKeys?.length ? [...options.decryptKeys] : undefined;
  }

  /** Destroy the client when this service owns it (see {@link AwsKmsKeyServiceOptions.ownsClient}). */
  close(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /**
   * Run `call` with each allowed key id in turn (or once with undefined when no list is set):
   * IncorrectKeyException means "not this key", so the next one is tried; no key left → refused.
   */
  async #withAllowedKey<T>(call: (keyId: string | undefined) => Promise<T>): Promise<T> {
    const keys = this.#decryptKeys;
    if (keys === undefined) return call(undefined);
    for (const keyId of keys) {
      try {
        return await call(keyId);
      } catch (err) {
        if (errorName(err) !== 'IncorrectKeyException') throw err;
      }
    }
    throw new KmsError(`KMS ERROR: the data key of this row is not wrapped by a key in decryptKeys (${keys.join(', ')}); refused`, { code: 'kms.keyNotAllowed' });
  }

  /** GenerateDataKey (credstash put). Failures read `KMS ERROR: Could not generate key using KMS key <KeyId> (Details: …)`. */
  async generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey> {
    const command = new GenerateDataKeyCommand({ KeyId: request.keyId, NumberOfBytes: request.numberOfBytes, EncryptionContext: { ...request.context } });
    try {
      const out = await this.#client.send(command);
      const action = 'kms:GenerateDataKey';
      return withPlaintext(out.Plaintext, action, (plaintext) => ({ plaintext, ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob', action), keyId: required(out.KeyId, 'KeyId', action) }));
    } catch (err) {
      const error = await this.#translate(err, { action: 'kms:GenerateDataKey', keyId: request.keyId });
      throw prefixed(error, `KMS ERROR: Could not generate key using KMS key ${request.keyId} (Details: ${error.message})`);
    }
  }

  /** Decrypt (credstash get). Wrong context → DecryptError with credstash's text; other service errors read `KMS ERROR: Decryption error …`. */
  async decrypt(request: DecryptRequest): Promise<DecryptResult> {
    refuseNonCiphertext(request.ciphertextBlob);
    try {
      const out = await this.#withAllowedKey((KeyId) =>
        this.#client.send(new DecryptCommand({ CiphertextBlob: request.ciphertextBlob, EncryptionContext: { ...request.context }, ...(KeyId === undefined ? {} : { KeyId }) })),
      );
      return withPlaintext(out.Plaintext, 'kms:Decrypt', (plaintext) => ({ plaintext, keyId: required(out.KeyId, 'KeyId', 'kms:Decrypt') }));
    } catch (err) {
      const error = await this.#translate(err, { action: 'kms:Decrypt' });
      throw error instanceof DecryptError || !isServiceError(err) ? error : prefixed(error, `KMS ERROR: Decryption error ${error.message}`);
    }
  }

  /** Encrypt up to 4096 bytes under `keyId`. */
  async encrypt(request: EncryptRequest): Promise<EncryptResult> {
    try {
      const out = await this.#client.send(new EncryptCommand({ KeyId: request.keyId, Plaintext: request.plaintext, EncryptionContext: { ...request.context } }));
      return { ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob', 'kms:Encrypt'), keyId: required(out.KeyId, 'KeyId', 'kms:Encrypt') };
    } catch (err) {
      throw await this.#translate(err, { action: 'kms:Encrypt', keyId: request.keyId });
    }
  }

  /** ReEncrypt a wrapped key under another key and/or context; the plaintext never leaves KMS. */
  async reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult> {
    refuseNonCiphertext(request.ciphertextBlob);
    const command = (SourceKeyId: string | undefined) =>
      new ReEncryptCommand({
        CiphertextBlob: request.ciphertextBlob,
        SourceEncryptionContext: { ...request.sourceContext },
        ...(SourceKeyId === undefined ? {} : { SourceKeyId }),
        DestinationKeyId: request.destinationKeyId,
        DestinationEncryptionContext: { ...request.destinationContext },
      });
    try {
      const out = await this.#withAllowedKey((keyId) => this.#client.send(command(keyId)));
      const action = 'kms:ReEncrypt';
      return { ciphertextBlob: required(out.CiphertextBlob, 'CiphertextBlob', action), keyId: required(out.KeyId, 'KeyId', action), sourceKeyId: required(out.SourceKeyId, 'SourceKeyId', action) };
    } catch (err) {
      throw await this.#translate(err, { action: 'kms:ReEncryptFrom and kms:ReEncryptTo', keyId: request.destinationKeyId });
    }
  }

  /**
   * Undefined: an AWS KMS ciphertext blob is opaque (its format is not published), so only a
   * Decrypt says which key wrapped it.
   */
  async wrappingKeyId(): Promise<undefined> {
    return undefined;
  }

  /** DescribeKey → the key's ARN; KmsError 'kms.notFound' when unknown. */
  async describeKeyArn(keyId: string): Promise<string> {
    try {
      const out = await this.#client.send(new DescribeKeyCommand({ KeyId: keyId }));
      return required(out.KeyMetadata?.Arn, 'KeyMetadata.Arn', 'kms:DescribeKey');
    } catch (err) {
      throw await this.#translate(err, { action: 'kms:DescribeKey', keyId });
    }
  }

  async #translate(err: unknown, site: CallSite): Promise<KeystashError> {
    if (err instanceof KmsError) return err; // raised by required()
    return classify(err, site, await this.#endpoint(), (this.#client.config as { requestHandler?: unknown }).requestHandler);
  }

  /** The endpoint the client talks to, for "cannot reach" messages. */
  async #endpoint(): Promise<string> {
    const config = this.#client.config as { endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>; region: () => Promise<string> };
    try {
      if (config.endpoint !== undefined) {
        const e = await config.endpoint();
        return `${e.protocol}//${e.hostname}${e.port === undefined ? '' : `:${e.port}`}${e.path}`;
      }
      return `https://kms.${await config.region()}.amazonaws.com`;
    } catch {
      return 'the configured KMS endpoint';
    }
  }
}

/** Same class, code and cause with a new message. */
function prefixed(error: KeystashError, message: string): KeystashError {
  return error instanceof DecryptError ? new DecryptError(message, { cause: error.cause }) : new KmsError(message, { code: error.code, cause: error.cause });
}
