/**
 * The one place a DynamoDBClient is configured (docs/conventions.md §10): keep-alive sockets (a CLI run
 * makes several sequential requests to one endpoint) and bounded timeouts so an unreachable
 * endpoint fails in seconds, not after the OS TCP timeout. `endpoint` is plain configuration,
 * which is how tests point the client at dynalite.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { sdkClientConfig, type SdkClientOptions } from './http.js';

export { DEFAULT_MAX_ATTEMPTS } from './http.js';

/** TCP connect timeout (ms). */
const DYNAMODB_CONNECT_TIMEOUT_MS = 3_000;
/** Per attempt: until the response headers, and the longest silence while reading the body (ms). */
const DYNAMODB_REQUEST_TIMEOUT_MS = 10_000;

/** What the SDK accepts as credentials: static keys or a provider function. */
export type DynamoDbCredentials = DynamoDBClientConfig['credentials'];

/** Options of {@link createDynamoDbClient} (timeouts default to 3 s connect, 10 s per attempt). */
export type DynamoDbClientOptions = SdkClientOptions<DynamoDbCredentials>;

/**
 * A low-level DynamoDBClient with keep-alive agents and 3 s connect / 10 s request timeouts.
 * The caller owns it: `client.destroy()` closes its sockets (idle keep-alive sockets are unref'd
 * by Node, so they never keep the process alive).
 */
export function createDynamoDbClient(options: DynamoDbClientOptions): DynamoDBClient {
  const config: DynamoDBClientConfig = sdkClientConfig(options, { connectMs: DYNAMODB_CONNECT_TIMEOUT_MS, requestMs: DYNAMODB_REQUEST_TIMEOUT_MS });
  return new DynamoDBClient(config);
}
