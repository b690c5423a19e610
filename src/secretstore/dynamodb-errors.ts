/**
 * Translation of AWS SDK / network errors into keystash StoreErrors, by `err.name` at the
 * backend boundary with the original kept as `cause` (docs/conventions.md §8, SDK error model). Callers
 * handle ConditionalCheckFailedException themselves (it means "version exists" or "key changed").
 */
import { KeystashError, StoreError, TableMissingError, UsageError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { awsErrorMessage, awsErrorName, credentialProblem, isThrottled, networkErrorCode, NETWORK_ERROR_NAMES, transportFailure } from '../aws/sdk-errors.js';

export { awsErrorName } from '../aws/sdk-errors.js';

import { DYNAMODB_ITEM_LIMIT_BYTES } from './item-size.js';
import { DEFAULT_TABLE } from '../defaults.js';

/** Where a failed request was going, for the message. */
interface DynamoDbErrorContext {
  /** SDK operation, e.g. 'Query'. */
  operation: string;
  table: string;
  region: string;
  /** URL or host of the endpoint. */
  endpoint: string;
  /** The client's request handler (tells whether the command's deadline passed). */
  handler?: unknown;
}

/** DynamoDB's own throttling answer, besides the names every service uses. */
const DYNAMODB_THROTTLED: ReadonlySet<string> = new Set(['ProvisionedThroughputExceededException']);

/** Map an error from one DynamoDB request to a KeystashError (keystash errors pass through). */
export function dynamoDbStoreError(err: unknown, ctx: DynamoDbErrorContext): KeystashError {
  if (err instanceof KeystashError) return err;
  const name = awsErrorName(err);
  const message = awsErrorMessage(err);
  const make = (text: string, code: ErrorCode): StoreError => new StoreError(text, { code, cause: err });
  if (name === 'ResourceNotFoundException') {
    // The hint must create *this* table: `setup` alone would create the default one.
    const tableFlag = ctx.table === DEFAULT_TABLE ? '' : ` -t ${ctx.table}`;
    return new TableMissingError(`DynamoDB table '${ctx.table}' does not exist in ${ctx.region}; create it with: keystash setup --backend aws${tableFlag}`, { cause: err });
  }
  const credentials = credentialProblem(err);
  if (credentials === 'missing') {
    return make(`no usable AWS credentials for DynamoDB (${message}); configure a profile (--profile), AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an instance role`, 'store.credentialsMissing');
  }
  if (credentials === 'expired') {
    return make(`AWS credentials have expired (${name}); refresh them (e.g. aws sso login) and retry`, 'store.credentialsExpired');
  }
  if (credentials === 'rejected') {
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
  if (isThrottled(err, DYNAMODB_THROTTLED)) {
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
  const transport = transportFailure(err, ctx.handler);
  if (transport?.kind === 'deadline') {
    return make(`DynamoDB at ${ctx.endpoint} did not answer ${ctx.operation} on table '${ctx.table}' in time: ${transport.text}; check the endpoint and the network`, 'store.timeout');
  }
  if (transport?.kind === 'timeout') {
    return make(`cannot reach DynamoDB at ${ctx.endpoint}: ${transport.text} (${name}: ${message}); check the endpoint, region and network`, 'store.unreachable');
  }
  if (transport?.kind === 'notAws') {
    return make(`the endpoint ${ctx.endpoint} answered ${ctx.operation} with ${transport.status} and a body that is not a DynamoDB response: it is not a DynamoDB endpoint (check --endpoint-url, AWS_ENDPOINT_URL_DYNAMODB and the region)`, 'store.notDynamoDb');
  }
  const networkCode = networkErrorCode(err);
  if (networkCode !== undefined || NETWORK_ERROR_NAMES.has(name)) {
    return make(`cannot reach DynamoDB at ${ctx.endpoint} (${networkCode ?? `${name}: ${message}`}); check the endpoint, region and network`, 'store.unreachable');
  }
  if (name === 'ResourceInUseException') {
    return make(`DynamoDB table '${ctx.table}' is busy (being created, updated or deleted); retry in a moment`, 'store.tableBusy');
  }
  const label = name === '' || name === 'Error' ? '' : `${name}: `;
  return make(`DynamoDB ${ctx.operation} on table '${ctx.table}' failed: ${label}${message}`, 'store.error');
}
