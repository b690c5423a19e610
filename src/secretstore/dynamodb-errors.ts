/**
 * Translation of AWS SDK / network errors into keystash StoreErrors, by `err.name` at the
 * backend boundary with the original kept as `cause` (STYLE.md §8, SDK error model). Callers
 * handle ConditionalCheckFailedException themselves (it means "version exists" or "key changed").
 */
import { DEFAULT_TABLE } from '../config.js';
import { KeystashError, StoreError, UsageError } from '../errors.js';
import { describeTimeout, notAwsStatus } from '../aws/http.js';

/** DynamoDB's item size limit: 400 KB, attribute names and values together. */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

/** Where a failed request was going, for the message. */
export interface DynamoDbErrorContext {
  /** SDK operation, e.g. 'Query'. */
  operation: string;
  table: string;
  region: string;
  /** URL or host of the endpoint. */
  endpoint: string;
  /** The client's request handler (tells whether the command's deadline passed). */
  handler?: unknown;
}

const CREDENTIAL_MISSING = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError', 'MissingAuthenticationTokenException']);
const CREDENTIAL_EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired', 'TokenRefreshRequired']);
const CREDENTIAL_REJECTED = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException', 'InvalidClientTokenId']);
const THROTTLED = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'Throttling']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

/** The SDK error name (`err.name`), or '' for a non-error. */
export function awsErrorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** Map an error from one DynamoDB request to a KeystashError (keystash errors pass through). */
export function dynamoDbStoreError(err: unknown, ctx: DynamoDbErrorContext): KeystashError {
  if (err instanceof KeystashError) return err;
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  const make = (text: string, code: string): StoreError => new StoreError(text, { code, cause: err });
  if (name === 'ResourceNotFoundException') {
    // The hint must create *this* table: `setup` alone would create the default one.
    const tableFlag = ctx.table === DEFAULT_TABLE ? '' : ` -t ${ctx.table}`;
    return make(`DynamoDB table '${ctx.table}' does not exist in ${ctx.region}; create it with: keystash setup --backend aws${tableFlag}`, 'store.tableMissing');
  }
  if (CREDENTIAL_MISSING.has(name)) {
    return make(`no usable AWS credentials for DynamoDB (${message}); configure a profile (--profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an instance role`, 'store.credentialsMissing');
  }
  if (CREDENTIAL_EXPIRED.has(name)) {
    return make(`AWS credentials have expired (${name}); refresh them (e.g. aws sso login) and retry`, 'store.credentialsExpired');
  }
  if (CREDENTIAL_REJECTED.has(name)) {
    return make(`AWS credentials were rejected by DynamoDB (${name}: ${message}); check the access key and secret`, 'store.credentialsRejected');
  }
  if (name === 'AccessDeniedException') {
    // A policy from `iam-policy --prefix` has no Scan and only names under its prefix.
    const scoped =
      ctx.operation === 'Scan'
        ? '; grant it, or, under a policy limited to a name prefix (iam-policy --prefix), which cannot list the table, give exact secret names instead of a glob, --all, list or keys'
        : '; grant it, or, under a policy limited to a name prefix (iam-policy --prefix), use names under that prefix';
    return make(`access denied: this identity needs dynamodb:${ctx.operation} on DynamoDB table '${ctx.table}' (${message})${scoped}`, 'store.accessDenied');
  }
  if (THROTTLED.has(name)) {
    return make(`DynamoDB throttled ${ctx.operation} on table '${ctx.table}' after retries; retry later or raise the table's capacity`, 'store.throttled');
  }
  if (name === 'ValidationException' && /item size/i.test(message)) {
    // The caller's input, not the store, is at fault: a usage error that states the limit.
    return new UsageError(
      `secret too large for DynamoDB (400 KB item limit): a row may hold at most ${DYNAMODB_ITEM_LIMIT_BYTES} bytes in all, and the value is stored base64-encoded (4/3 of its size) with its name, version, wrapped key and HMAC`,
      { code: 'store.itemTooLarge', cause: err },
    );
  }
  if (name === 'ItemCollectionSizeLimitExceededException') {
    return make('DynamoDB item collection too large (400 KB item limit per row, 10 GB per partition)', 'store.itemTooLarge');
  }
  const timeout = describeTimeout(err, ctx.handler);
  if (timeout?.deadline) {
    return make(`DynamoDB at ${ctx.endpoint} did not answer ${ctx.operation} on table '${ctx.table}' in time: ${timeout.text}; check the endpoint and the network`, 'store.timeout');
  }
  if (timeout !== undefined) {
    return make(`cannot reach DynamoDB at ${ctx.endpoint}: ${timeout.text} (${name}: ${message}); check the endpoint, region and network`, 'store.unreachable');
  }
  const status = notAwsStatus(err);
  if (status !== undefined) {
    return make(`the endpoint ${ctx.endpoint} answered ${ctx.operation} with ${status} and a body that is not a DynamoDB response: it is not a DynamoDB endpoint (check --endpoint-url, AWS_ENDPOINT_URL_DYNAMODB and the region)`, 'store.notDynamoDb');
  }
  const networkCode = networkErrorCode(err);
  if (networkCode !== undefined || NETWORK_NAMES.has(name)) {
    return make(`cannot reach DynamoDB at ${ctx.endpoint} (${networkCode ?? `${name}: ${message}`}); check the endpoint, region and network`, 'store.unreachable');
  }
  if (name === 'ResourceInUseException') {
    return make(`DynamoDB table '${ctx.table}' is busy (being created, updated or deleted); retry in a moment`, 'store.tableBusy');
  }
  const label = name === '' || name === 'Error' ? '' : `${name}: `;
  return make(`DynamoDB ${ctx.operation} on table '${ctx.table}' failed: ${label}${message}`, 'store.error');
}

/** ECONNREFUSED & co. on the error itself, its cause, or the first of an AggregateError. */
function networkErrorCode(err: unknown): string | undefined {
  const candidates: unknown[] = [err];
  const e = err as { cause?: unknown; errors?: unknown } | null;
  if (e?.cause !== undefined) candidates.push(e.cause);
  if (Array.isArray(e?.errors)) candidates.push(...e.errors);
  for (const c of candidates) {
    const code = (c as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}
