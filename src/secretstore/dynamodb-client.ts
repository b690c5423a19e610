/**
 * The one place a DynamoDBClient is configured (STYLE.md §10): keep-alive sockets (a CLI run
 * makes several sequential requests to one endpoint) and bounded timeouts so an unreachable
 * endpoint fails in seconds, not after the OS TCP timeout. `endpoint` is plain configuration,
 * which is how tests point the client at dynalite.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeadlineHttpHandler } from '../aws-http.js';

/** TCP connect timeout (ms). */
export const DYNAMODB_CONNECT_TIMEOUT_MS = 3_000;
/** Parallel sockets per host. */
const MAX_SOCKETS = 64;
/** Per attempt: until the response headers, and the longest silence while reading the body (ms). */
export const DYNAMODB_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Attempts per request, the first included (SDK 'standard' retry: exponential backoff with jitter;
 * throttling, 5xx and dropped connections are retried). The SDK default of 3 let a bulk command
 * (hundreds of requests) fail under ~15 % transient faults about half the time
 * (test/reliability/faults.test.ts); 6 makes that about 1e-5 per request.
 */
export const DEFAULT_MAX_ATTEMPTS = 6;

/** What the SDK accepts as credentials: static keys or a provider function. */
export type DynamoDbCredentials = DynamoDBClientConfig['credentials'];

/** Options of {@link createDynamoDbClient}. */
export interface DynamoDbClientOptions {
  region: string;
  /** e.g. http://127.0.0.1:8000 (dynalite, DynamoDB Local); default: the AWS endpoint of `region`. */
  endpoint?: string | undefined;
  /** Shared-config profile used by the default credential chain. */
  profile?: string | undefined;
  /** Explicit credentials or provider; default: the SDK's default chain. */
  credentials?: DynamoDbCredentials | undefined;
  /** Attempts including the first (SDK standard retry with backoff); default {@link DEFAULT_MAX_ATTEMPTS}. */
  maxAttempts?: number | undefined;
  /** Connect timeout per attempt (ms); default {@link DYNAMODB_CONNECT_TIMEOUT_MS}. */
  connectTimeoutMs?: number | undefined;
  /** Request/socket-inactivity timeout per attempt (ms); default {@link DYNAMODB_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number | undefined;
  /** Overall deadline (epoch ms) of the command: no request runs past it. Default: none. */
  deadlineAt?: number | undefined;
  /** The command's timeout in seconds, for the deadline message. */
  deadlineSeconds?: number | undefined;
}

/**
 * A low-level DynamoDBClient with keep-alive agents and 3 s connect / 10 s request timeouts.
 * The caller owns it: `client.destroy()` closes its sockets (idle keep-alive sockets are unref'd
 * by Node, so they never keep the process alive).
 */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new DeadlineHttpHandler(
      {
        connectMs: options.connectTimeoutMs ?? DYNAMODB_CONNECT_TIMEOUT_MS,
        requestMs: options.requestTimeoutMs ?? DYNAMODB_REQUEST_TIMEOUT_MS,
        deadlineAt: options.deadlineAt,
        deadlineSeconds: options.deadlineSeconds,
      },
      MAX_SOCKETS,
    ),
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.profile !== undefined) config.profile = options.profile;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new DynamoDBClient(config);
}
