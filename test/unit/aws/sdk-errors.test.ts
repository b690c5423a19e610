/**
 * The shared SDK error classifier (src/aws/sdk-errors.ts): what each kind of AWS SDK / network
 * error is taken for, independent of the messages DynamoDB and KMS build from it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DeadlineExceededError, DeadlineHttpHandler } from '../../../src/aws/http.js';
import {
  awsErrorMessage,
  awsErrorName,
  credentialProblem,
  isNetworkError,
  isServiceError,
  isThrottled,
  networkErrorCode,
  sdkAttempts,
  transportFailure,
} from '../../../src/aws/sdk-errors.js';

/** An error shaped as the SDK throws it: name, message, $fault and $metadata. */
function sdkError(name: string, extra: Record<string, unknown> = {}, message = `${name} happened`): Error {
  return Object.assign(Object.assign(new Error(message), { name }), extra);
}
const errno = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe('awsErrorName / awsErrorMessage / sdkAttempts', () => {
  it.each<[unknown, string, string]>([
    [sdkError('ThrottlingException', {}, 'slow down'), 'ThrottlingException', 'slow down'],
    [new TypeError('bad'), 'TypeError', 'bad'],
    [{ name: 'ResourceNotFoundException', message: 'x' }, 'ResourceNotFoundException', '[object Object]'],
    [{ name: 42 }, '', '[object Object]'],
    ['text', '', 'text'],
    [undefined, '', 'undefined'],
    [null, '', 'null'],
  ])('%o → name %j, message %j', (err, name, message) => {
    expect(awsErrorName(err)).toBe(name);
    expect(awsErrorMessage(err)).toBe(message);
  });

  it('reads $metadata.attempts when present', () => {
    expect(sdkAttempts(sdkError('ThrottlingException', { $metadata: { attempts: 6 } }))).toBe(6);
    expect(sdkAttempts(sdkError('ThrottlingException', { $metadata: {} }))).toBeUndefined();
    expect(sdkAttempts(new Error('x'))).toBeUndefined();
    expect(sdkAttempts(null)).toBeUndefined();
  });
});

describe('networkErrorCode / isNetworkError', () => {
  it.each<[string, unknown, string | undefined, boolean]>([
    ['ECONNREFUSED on the error', errno('ECONNREFUSED'), 'ECONNREFUSED', true],
    ['ENOTFOUND', errno('ENOTFOUND'), 'ENOTFOUND', true],
    ['EAI_AGAIN', errno('EAI_AGAIN'), 'EAI_AGAIN', true],
    ['ECONNRESET', errno('ECONNRESET'), 'ECONNRESET', true],
    ['ETIMEDOUT', errno('ETIMEDOUT'), 'ETIMEDOUT', true],
    ['EHOSTUNREACH', errno('EHOSTUNREACH'), 'EHOSTUNREACH', true],
    ['ENETUNREACH', errno('ENETUNREACH'), 'ENETUNREACH', true],
    ['EPIPE', errno('EPIPE'), 'EPIPE', true],
    ['ECONNABORTED', errno('ECONNABORTED'), 'ECONNABORTED', true],
    ['a code on the cause', Object.assign(new Error('socket hang up'), { cause: errno('ECONNRESET') }), 'ECONNRESET', true],
    ['a member of an AggregateError (Node 20 dual-stack connect)', new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')]), 'ECONNREFUSED', true],
    ['the second member of an AggregateError', new AggregateError([new Error('x'), errno('EHOSTUNREACH')]), 'EHOSTUNREACH', true],
    ['a nested AggregateError', new AggregateError([new AggregateError([errno('ENETUNREACH')])]), 'ENETUNREACH', true],
    ['TimeoutError by name', sdkError('TimeoutError'), undefined, true],
    ['RequestTimeout by name', sdkError('RequestTimeout'), undefined, true],
    ['RequestTimeoutException by name', sdkError('RequestTimeoutException'), undefined, true],
    ['NetworkingError by name', sdkError('NetworkingError'), undefined, true],
    ['another errno code', errno('ENOENT'), undefined, false],
    ['a numeric code', Object.assign(new Error('x'), { code: 111 }), undefined, false],
    ['a service error', sdkError('AccessDeniedException', { $fault: 'client' }), undefined, false],
    ['an AggregateError of other errors', new AggregateError([new Error('a')]), undefined, false],
    ['a string', 'ECONNREFUSED', undefined, false],
    ['null', null, undefined, false],
  ])('%s', (_label, err, code, network) => {
    expect(networkErrorCode(err)).toBe(code);
    expect(isNetworkError(err)).toBe(network);
  });

  it('stops on a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(networkErrorCode(a)).toBeUndefined();
  });
});

describe('credentialProblem', () => {
  it.each([
    ['CredentialsProviderError', 'missing'],
    ['ProviderError', 'missing'],
    ['TokenProviderError', 'missing'],
    ['MissingAuthenticationTokenException', 'missing'],
    ['ExpiredTokenException', 'expired'],
    ['ExpiredToken', 'expired'],
    ['RequestExpired', 'expired'],
    ['TokenRefreshRequired', 'expired'],
    ['UnrecognizedClientException', 'rejected'],
    ['InvalidSignatureException', 'rejected'],
    ['IncompleteSignatureException', 'rejected'],
    ['InvalidClientTokenId', 'rejected'],
    ['AccessDeniedException', undefined],
    ['ThrottlingException', undefined],
    ['Error', undefined],
  ])('%s → %s', (name, problem) => {
    expect(credentialProblem(sdkError(name))).toBe(problem);
  });
});

describe('isThrottled', () => {
  const dynamo = new Set(['ProvisionedThroughputExceededException']);
  const kms = new Set(['LimitExceededException']);
  it.each<[string, ReadonlySet<string> | undefined, boolean]>([
    ['ThrottlingException', undefined, true],
    ['Throttling', undefined, true],
    ['RequestLimitExceeded', undefined, true],
    ['TooManyRequestsException', undefined, true],
    ['ProvisionedThroughputExceededException', undefined, false],
    ['ProvisionedThroughputExceededException', dynamo, true],
    ['LimitExceededException', undefined, false],
    ['LimitExceededException', kms, true],
    // DynamoDB's LimitExceededException (too many table operations) is not a throttle there
    ['LimitExceededException', dynamo, false],
    ['ThrottlingException', kms, true],
    ['AccessDeniedException', kms, false],
  ])('%s with extras %o → %s', (name, extra, throttled) => {
    expect(isThrottled(sdkError(name), extra)).toBe(throttled);
  });
});

describe('isServiceError', () => {
  it.each<[string, unknown, boolean]>([
    ['a client fault', sdkError('AccessDeniedException', { $fault: 'client' }), true],
    ['a server fault', sdkError('KMSInternalException', { $fault: 'server' }), true],
    ['a credential failure with a client fault', sdkError('UnrecognizedClientException', { $fault: 'client' }), false],
    ['an expired token with a client fault', sdkError('ExpiredTokenException', { $fault: 'client' }), false],
    ['no $fault', sdkError('AccessDeniedException'), false],
    ['another $fault', sdkError('AccessDeniedException', { $fault: 'network' }), false],
    ['a network error', errno('ECONNREFUSED'), false],
    ['null', null, false],
  ])('%s → %s', (_label, err, service) => {
    expect(isServiceError(err)).toBe(service);
  });
});

describe('DeadlineHttpHandler.expired', () => {
  it('is true once the deadline signal fired, even when the wall clock reads a moment earlier', async () => {
    const deadlineAt = Date.now() + 20;
    const handler = new DeadlineHttpHandler({ connectMs: 1000, requestMs: 1000, deadlineAt, deadlineSeconds: 1 }, 1);
    try {
      expect(handler.expired).toBe(false);
      for (let i = 0; i < 200 && Date.now() < deadlineAt + 50; i++) await new Promise((r) => setTimeout(r, 5));
      // The signal's timer runs on the monotonic clock; Date.now() may lag it by a millisecond.
      // Injected here (a real clock cannot be made to lag on demand): the wall clock just before.
      const realNow = Date.now;
      Date.now = () => deadlineAt - 1;
      try {
        expect(handler.expired).toBe(true);
      } finally {
        Date.now = realNow;
      }
    } finally {
      handler.destroy();
    }
  });
});

describe('transportFailure', () => {
  const expired = new DeadlineHttpHandler({ connectMs: 1000, requestMs: 1000, deadlineAt: Date.now() - 1, deadlineSeconds: 7 }, 1);
  const running = new DeadlineHttpHandler({ connectMs: 1000, requestMs: 1000, deadlineAt: Date.now() + 60_000, deadlineSeconds: 60 }, 1);
  afterAll(() => {
    expired.destroy();
    running.destroy();
  });
  const deadlineText = (s: number) => `the command's overall deadline of ${s} s passed (raise it with --timeout SECONDS)`;

  it.each<[string, unknown, unknown, unknown]>([
    ['DeadlineExceededError', new DeadlineExceededError(5), undefined, { kind: 'deadline', text: deadlineText(5) }],
    ['DeadlineExceededError under a handler', new DeadlineExceededError(5), expired, { kind: 'deadline', text: deadlineText(7) }],
    ['an AbortError after the deadline', sdkError('AbortError'), expired, { kind: 'deadline', text: deadlineText(7) }],
    ['a TimeoutError after the deadline', sdkError('TimeoutError'), expired, { kind: 'deadline', text: deadlineText(7) }],
    ['an AbortError before the deadline', sdkError('AbortError'), running, undefined],
    [
      'a connect timeout',
      sdkError('TimeoutError', { $metadata: { attempts: 3 } }, 'Socket timed out without establishing a connection within 1000 ms'),
      running,
      { kind: 'timeout', text: 'no connection could be established in time after 3 attempt(s)' },
    ],
    ['a stalled response', sdkError('TimeoutError', {}, 'Socket timed out after 1000 ms of inactivity'), undefined, { kind: 'timeout', text: 'the response stalled (no data for the socket timeout)' }],
    ['a request timeout', sdkError('TimeoutError', {}, 'requestTimeout of 1000 ms exceeded'), undefined, { kind: 'timeout', text: 'no response within the request timeout' }],
    ['another timeout', sdkError('TimeoutError', {}, 'timed out'), undefined, { kind: 'timeout', text: 'the request timed out' }],
    ['an HTML page (SyntaxError with a status)', sdkError('SyntaxError', { $metadata: { httpStatusCode: 404 } }), undefined, { kind: 'notAws', status: 'HTTP 404' }],
    ['a Deserialization error', sdkError('Error', { $metadata: { httpStatusCode: 200 } }, 'Deserialization error: to see the raw response…'), undefined, { kind: 'notAws', status: 'HTTP 200' }],
    ['UnknownError', sdkError('UnknownError', { $metadata: { httpStatusCode: 502 } }), undefined, { kind: 'notAws', status: 'HTTP 502' }],
    ['a real service error with a status', sdkError('AccessDeniedException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }), undefined, undefined],
    ['a network error', errno('ECONNREFUSED'), running, undefined],
    ['null', null, undefined, undefined],
  ])('%s', (_label, err, handler, failure) => {
    expect(transportFailure(err, handler)).toEqual(failure);
  });
});
