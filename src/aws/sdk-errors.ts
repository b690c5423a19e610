/**
 * What an AWS SDK (or network) error is, by `err.name`, `code` and `$metadata` (SDK error model),
 * shared by the DynamoDB store and the AWS KMS key service. Each of them keeps only its mapping to
 * its own KeystashError subclass and messages (src/secretstore/dynamodb-errors.ts,
 * src/envelope/aws-kms.ts); nothing here builds a message for people except the timeout text of
 * {@link describeTimeout}.
 */
import { describeTimeout, notAwsStatus } from './http.js';

/** Socket-level failures: the endpoint was not reached or the connection broke. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);
/** SDK error names of a request that got no answer in time or no connection. */
export const NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

/** Credential failures, by what the user has to do about them. */
const CREDENTIAL_PROBLEMS: ReadonlyArray<readonly [CredentialProblem, ReadonlySet<string>]> = [
  ['missing', new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError', 'MissingAuthenticationTokenException'])],
  ['expired', new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired', 'TokenRefreshRequired'])],
  ['rejected', new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'InvalidClientTokenId'])],
];

/**
 * Throttling names every AWS service may answer; a service adds its own (DynamoDB's
 * ProvisionedThroughputExceededException, KMS's LimitExceededException — which in DynamoDB means
 * something else, hence not here).
 */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException']);

type CredentialProblem = 'missing' | 'expired' | 'rejected';

/** The SDK error name (`err.name`), or '' for a value without one. */
export function awsErrorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** The message of an Error, or the value as text. */
export function awsErrorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Attempts the SDK made (`$metadata.attempts`, retries included), when it says. */
export function sdkAttempts(err: unknown): number | undefined {
  return (err as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts;
}

/**
 * ECONNREFUSED & co. on the error itself, its `cause`, or a member of an AggregateError (Node 20
 * reports a failed dual-stack connect as one per address), searched depth-first.
 */
export function networkErrorCode(err: unknown, depth = 0): string | undefined {
  if (err === null || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) return e.code;
  const inner = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  for (const c of inner) {
    const code = networkErrorCode(c, depth + 1);
    if (code !== undefined) return code;
  }
  return undefined;
}

/** The endpoint could not be reached (socket error code) or did not answer (timeout names). */
export function isNetworkError(err: unknown): boolean {
  return networkErrorCode(err) !== undefined || NETWORK_ERROR_NAMES.has(awsErrorName(err));
}

/** Which kind of credential failure `err` is, if it is one. */
export function credentialProblem(err: unknown): CredentialProblem | undefined {
  const name = awsErrorName(err);
  return CREDENTIAL_PROBLEMS.find(([, names]) => names.has(name))?.[0];
}

/** A throttling answer (after the SDK's retries), by the common names plus the service's `extra` ones. */
export function isThrottled(err: unknown, extra: ReadonlySet<string> = new Set()): boolean {
  const name = awsErrorName(err);
  return THROTTLING_ERROR_NAMES.has(name) || extra.has(name);
}

/** An error the service itself answered (`$fault` client or server), credential failures excepted. */
export function isServiceError(err: unknown): boolean {
  const fault = (err as { $fault?: unknown } | null)?.$fault;
  return (fault === 'client' || fault === 'server') && credentialProblem(err) === undefined;
}

/**
 * A failure of the transport rather than of the service, in the order both backends check it:
 * the command's deadline passed (`deadline`), one attempt timed out (`timeout`), or the endpoint
 * answered with something that is not an AWS response (`notAws`, with its HTTP status).
 */
type TransportFailure = { kind: 'deadline'; text: string } | { kind: 'timeout'; text: string } | { kind: 'notAws'; status: string };

/** See {@link TransportFailure}; `handler` is the client's request handler (it knows the deadline). */
export function transportFailure(err: unknown, handler: unknown): TransportFailure | undefined {
  const timeout = describeTimeout(err, handler);
  if (timeout !== undefined) return { kind: timeout.deadline ? 'deadline' : 'timeout', text: timeout.text };
  const status = notAwsStatus(err);
  return status === undefined ? undefined : { kind: 'notAws', status };
}
