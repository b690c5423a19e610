/**
 * The one place a KMSClient is configured (STYLE.md §10): keep-alive sockets (every call of a run
 * reuses one TLS connection per host) and bounded connect/request timeouts, so an unreachable
 * endpoint fails in seconds with KmsError 'kms.unreachable' instead of hanging. `endpoint` is
 * plain configuration, which is how tests point the client at the local KMS server.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import type { KMSClientConfig } from '@aws-sdk/client-kms';
import { DeadlineHttpHandler } from '../aws-http.js';

/** TCP/TLS connect timeout (ms). */
export const KMS_CONNECT_TIMEOUT_MS = 5_000;
/** Per attempt: until the response headers, and the longest silence while reading the body (ms). */
export const KMS_REQUEST_TIMEOUT_MS = 30_000;
/** Parallel sockets per host (getall fetches many secrets at once). */
const MAX_SOCKETS = 64;

/**
 * Attempts per request, the first included (SDK 'standard' retry: exponential backoff with jitter;
 * throttling, 5xx and dropped connections are retried). The SDK default of 3 let a bulk command
 * (hundreds of requests) fail under ~15 % transient faults about half the time
 * (test/reliability/faults.test.ts); 6 makes that about 1e-5 per request.
 */
export const DEFAULT_MAX_ATTEMPTS = 6;

/** What the SDK accepts as credentials: static keys or a provider function. */
export type KmsCredentials = KMSClientConfig['credentials'];

/** Options of {@link createKmsClient}. */
export interface KmsClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:4599 (`keystash kms serve`); default: the AWS endpoint of `region`. */
  endpoint?: string | undefined;
  /** Shared-config profile used by the default credential chain. */
  profile?: string | undefined;
  /** Explicit credentials or provider; default: the SDK's default chain. */
  credentials?: KmsCredentials | undefined;
  /** Attempts including the first (SDK standard retry with backoff); default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number | undefined;
  /** Connect timeout per attempt (ms); default {@link KMS_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number | undefined;
  /** Request/socket-inactivity timeout per attempt (ms); default {@link KMS_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number | undefined;
  /** Overall deadline (epoch ms) of the command: no request runs past it. Default: none. */
  deadlineAt?: number | undefined;
  /** The command's timeout in seconds, for the deadline message. */
  deadlineSeconds?: number | undefined;
}

/**
 * A KMSClient with keep-alive agents and 5 s connect / 30 s request timeouts. The caller owns it:
 * `client.destroy()` closes its sockets (idle keep-alive sockets never keep the process alive).
 */
export function createKmsClient(options: KmsClientOptions): KMSClient {
  const config: KMSClientConfig = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new DeadlineHttpHandler(
      {
        connectMs: options.connectTimeoutMs ?? KMS_CONNECT_TIMEOUT_MS,
        requestMs: options.requestTimeoutMs ?? KMS_REQUEST_TIMEOUT_MS,
        deadlineAt: options.deadlineAt,
        deadlineSeconds: options.deadlineSeconds,
      },
      MAX_SOCKETS,
    ),
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.profile !== undefined) config.profile = options.profile;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new KMSClient(config);
}
