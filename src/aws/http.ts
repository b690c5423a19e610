/**
 * The HTTP handler of every AWS SDK client (DynamoDB and KMS): per-attempt timeouts that really
 * fire, and one overall deadline per command (docs/architecture.md "Timeouts").
 *
 * @smithy/node-http-handler 4.x: `requestTimeout` only logs a warning unless
 * `throwOnRequestTimeout` is set; `socketTimeout` (inactivity, also while the body is read) is a
 * separate option; `connectionTimeout` bounds the TCP/TLS connect. The deadline clamps each
 * attempt's request timeout to the time left and aborts in-flight requests (including a body that
 * stalls after the headers) when it passes; the SDK's retries never outlive it.
 */
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { state as sdkWarningState } from '@aws-sdk/core/client';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Timeouts of one client. */
interface AwsHttpTimeouts {
  /** TCP/TLS connect timeout per attempt (ms). */
  connectMs: number;
  /** Per attempt: until the response headers, and the longest silence while reading (ms). */
  requestMs: number;
  /** Absolute time (epoch ms) after which no request is started and in-flight ones are aborted. */
  deadlineAt?: number | undefined;
  /** The command's timeout in seconds, for messages. */
  deadlineSeconds?: number | undefined;
}

/** Raised when the command's overall deadline passes; not retried by the SDK. */
export class DeadlineExceededError extends Error {
  readonly seconds: number | undefined;
  constructor(seconds: number | undefined, options?: { cause?: unknown }) {
    super(`the command's ${seconds === undefined ? '' : `${seconds} s `}deadline passed`, options);
    this.name = 'DeadlineExceededError';
    this.seconds = seconds;
  }
}

type HandleArgs = Parameters<NodeHttpHandler['handle']>;

/** NodeHttpHandler with a deadline: see the module comment. */
export class DeadlineHttpHandler extends NodeHttpHandler {
  readonly #timeouts: AwsHttpTimeouts;
  readonly #signal: AbortSignal | undefined;

  constructor(timeouts: AwsHttpTimeouts, maxSockets: number) {
    const agentOptions = { keepAlive: true, maxSockets };
    super({
      connectionTimeout: timeouts.connectMs,
      requestTimeout: timeouts.requestMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeouts.requestMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    });
    this.#timeouts = timeouts;
    // AbortSignal.timeout's timer never keeps the process alive.
    this.#signal = timeouts.deadlineAt === undefined ? undefined : AbortSignal.timeout(Math.max(0, timeouts.deadlineAt - Date.now()));
    // One listener per request in flight (bulk commands run --concurrency of them at once).
    if (this.#signal !== undefined) setMaxListeners(0, this.#signal);
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    // The deadline's own signal counts too: its timer (monotonic clock) may fire a millisecond
    // before Date.now() reaches deadlineAt, and the request it aborted must still read as the
    // deadline (an outage, for the region fallback), not as an unexplained AbortError.
    return this.#timeouts.deadlineAt !== undefined && (this.#signal?.aborted === true || Date.now() >= this.#timeouts.deadlineAt);
  }

  /** The command's timeout in seconds (undefined: no deadline). */
  get deadlineSeconds(): number | undefined {
    return this.#timeouts.deadlineSeconds;
  }

  override async handle(request: HandleArgs[0], options: HandleArgs[1] = {}): ReturnType<NodeHttpHandler['handle']> {
    const deadlineAt = this.#timeouts.deadlineAt;
    if (deadlineAt === undefined || this.#signal === undefined) return super.handle(request, options);
    const left = deadlineAt - Date.now();
    if (left <= 0) throw new DeadlineExceededError(this.#timeouts.deadlineSeconds);
    const own = options.abortSignal as AbortSignal | undefined;
    const abortSignal = own === undefined ? this.#signal : AbortSignal.any([own, this.#signal]);
    if (abortSignal !== this.#signal) setMaxListeners(0, abortSignal);
    const requestTimeout = Math.max(1, Math.min(options.requestTimeout ?? this.#timeouts.requestMs, left));
    try {
      return await super.handle(request, { ...options, abortSignal: abortSignal as never, requestTimeout });
    } catch (error) {
      if (this.expired) throw new DeadlineExceededError(this.#timeouts.deadlineSeconds, { cause: error });
      throw error;
    }
  }
}

/**
 * What timed out, in words, when `err` is a timeout of any kind (else undefined): `deadline` when
 * the command's overall deadline passed, else one attempt's connect/request/socket timeout.
 */
export function describeTimeout(err: unknown, handler: unknown): { deadline: boolean; text: string } | undefined {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { attempts?: number } } | null;
  const deadline = handler instanceof DeadlineHttpHandler ? handler : undefined;
  if (e?.name === 'DeadlineExceededError' || (deadline?.expired && (e?.name === 'AbortError' || e?.name === 'TimeoutError'))) {
    const seconds = deadline?.deadlineSeconds ?? (e as { seconds?: number }).seconds;
    return { deadline: true, text: `the command's overall deadline${seconds === undefined ? '' : ` of ${seconds} s`} passed (raise it with --timeout SECONDS)` };
  }
  if (e?.name !== 'TimeoutError') return undefined;
  const text = typeof e.message === 'string' ? e.message : '';
  const attempts = e.$metadata?.attempts === undefined ? '' : ` after ${e.$metadata.attempts} attempt(s)`;
  if (/establishing a connection|connect/i.test(text)) return { deadline: false, text: `no connection could be established in time${attempts}` };
  if (/inactivity/.test(text)) return { deadline: false, text: `the response stalled (no data for the socket timeout)${attempts}` };
  if (/requestTimeout/.test(text)) return { deadline: false, text: `no response within the request timeout${attempts}` };
  return { deadline: false, text: `the request timed out${attempts}` };
}

/**
 * "HTTP 404" (with a status) when `err` is the SDK failing to read a response that is not the
 * service's protocol (an HTML page, an empty or foreign body); undefined for real service errors.
 */
export function notAwsStatus(err: unknown): string | undefined {
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const status = e?.$metadata?.httpStatusCode;
  if (status === undefined) return undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  const foreign = e?.name === 'SyntaxError' || e?.name === 'UnknownError' || e?.name === 'Unknown' || /Deserialization error/.test(message) || message === 'UnknownError';
  return foreign ? `HTTP ${status}` : undefined;
}

/**
 * Attempts per request, the first included (SDK 'standard' retry: exponential backoff with jitter;
 * throttling, 5xx and dropped connections are retried). The SDK default of 3 let a bulk command
 * (hundreds of requests) fail under ~15 % transient faults about half the time
 * (test/reliability/faults.test.ts); 6 makes that about 1e-5 per request.
 */
export const DEFAULT_MAX_ATTEMPTS = 6;
/** Parallel keep-alive sockets per host (getall fetches many secrets at once). */
const MAX_SOCKETS = 64;

/** Options of every keystash SDK client (createKmsClient, createDynamoDbClient). */
export interface SdkClientOptions<Credentials> {
  region: string;
  /** e.g. http://127.0.0.1:4599 (`kms serve`) or dynalite; default: the AWS endpoint of `region`. */
  endpoint?: string | undefined;
  /** Shared-config profile used by the default credential chain. */
  profile?: string | undefined;
  /** Explicit credentials or provider; default: the SDK's default chain. */
  credentials?: Credentials | undefined;
  /** Attempts including the first (SDK standard retry with backoff); default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number | undefined;
  /** Connect timeout per attempt (ms); default: the client's. */
  connectTimeoutMs?: number | undefined;
  /** Request/socket-inactivity timeout per attempt (ms); default: the client's. */
  requestTimeoutMs?: number | undefined;
  /** Overall deadline (epoch ms) of the command: no request runs past it. Default: none. */
  deadlineAt?: number | undefined;
  /** The command's timeout in seconds, for the deadline message. */
  deadlineSeconds?: number | undefined;
}

/**
 * The configuration every keystash SDK client shares: region, standard retries, the deadline
 * handler with keep-alive agents and `defaults` for the per-attempt timeouts, and the endpoint,
 * profile and credentials when given.
 */
export function sdkClientConfig<Credentials>(options: SdkClientOptions<Credentials>, defaults: { connectMs: number; requestMs: number }) {
  quietNodeVersionWarning();
  const timeouts: AwsHttpTimeouts = {
    connectMs: options.connectTimeoutMs ?? defaults.connectMs,
    requestMs: options.requestTimeoutMs ?? defaults.requestMs,
    deadlineAt: options.deadlineAt,
    deadlineSeconds: options.deadlineSeconds,
  };
  return {
    region: options.region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new DeadlineHttpHandler(timeouts, MAX_SOCKETS),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
}

/**
 * The SDK prints a multi-line Node-version warning when a client is built on Node 20; neither CLI
 * users nor library callers should see it. It is marked as already shown in the SDK's own state
 * (process.env is never touched); whoever sets AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
 * themselves gets the SDK's behaviour for that value.
 */
function quietNodeVersionWarning(): void {
  if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) sdkWarningState.warningEmitted = true;
}
