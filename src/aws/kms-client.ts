/**
 * The one place a KMSClient is configured (docs/conventions.md §10): keep-alive sockets (every call of a run
 * reuses one TLS connection per host) and bounded connect/request timeouts, so an unreachable
 * endpoint fails in seconds with KmsError 'kms.unreachable' instead of hanging. `endpoint` is
 * plain configuration, which is how tests point the client at the local KMS server.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import type { KMSClientConfig } from '@aws-sdk/client-kms';
import { sdkClientConfig, type SdkClientOptions } from './http.js';

export { DEFAULT_MAX_ATTEMPTS } from './http.js';

/** TCP/TLS connect timeout (ms). */
const KMS_CONNECT_TIMEOUT_MS = 5_000;
/** Per attempt: until the response headers, and the longest silence while reading the body (ms). */
const KMS_REQUEST_TIMEOUT_MS = 30_000;

/** What the SDK accepts as credentials: static keys or a provider function. */
type KmsCredentials = KMSClientConfig['credentials'];

/** Options of {@link createKmsClient} (timeouts default to 5 s connect, 30 s per attempt). */
type KmsClientOptions = SdkClientOptions<KmsCredentials>;

/**
 * A KMSClient with keep-alive agents and 5 s connect / 30 s request timeouts. The caller owns it:
 * `client.destroy()` closes its sockets (idle keep-alive sockets never keep the process alive).
 */
export function createKmsClient(options: KmsClientOptions): KMSClient {
  const config: KMSClientConfig = sdkClientConfig(options, { connectMs: KMS_CONNECT_TIMEOUT_MS, requestMs: KMS_REQUEST_TIMEOUT_MS });
  return new KMSClient(config);
}
