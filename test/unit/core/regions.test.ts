/** What counts as a region being out (issue 23): only then does a read go to the next region. */
import { describe, expect, it } from 'vitest';
import { isRegionOutage } from '../../../src/core/transfer/regions.js';
import { DecryptError, IntegrityError, KmsError, SecretNotFoundError, StoreError } from '../../../src/errors.js';

describe('isRegionOutage', () => {
  it('unreachable, timed out and throttled (after the SDK retries) are outages, in either service', () => {
    for (const code of ['store.unreachable', 'store.timeout', 'store.throttled'] as const) expect(isRegionOutage(new StoreError('x', { code }))).toBe(true);
    for (const code of ['kms.unreachable', 'kms.timeout', 'kms.throttled'] as const) expect(isRegionOutage(new KmsError('x', { code }))).toBe(true);
  });

  it('a 5xx server fault is an outage', () => {
    const cause = Object.assign(new Error('InternalServerError'), { $fault: 'server', $metadata: { httpStatusCode: 500 } });
    expect(isRegionOutage(new StoreError('DynamoDB GetItem failed', { code: 'store.error', cause }))).toBe(true);
    const unavailable = Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } });
    expect(isRegionOutage(new KmsError('x', { code: 'kms.error', cause: unavailable }))).toBe(true);
  });

  it('an answer is not an outage: not found, access denied, a missing table, tampering, a wrong context', () => {
    const denied = Object.assign(new Error('denied'), { $fault: 'client', $metadata: { httpStatusCode: 400 } });
    for (const err of [
      new SecretNotFoundError('x'),
      new StoreError('x', { code: 'store.accessDenied', cause: denied }),
      new StoreError('x', { code: 'store.tableMissing' }),
      new KmsError('x', { code: 'kms.accessDenied', cause: denied }),
      new KmsError('x', { code: 'kms.notFound' }),
      new IntegrityError(),
      new DecryptError(),
      new Error('not a keystash error'),
    ]) {
      expect(isRegionOutage(err), err.message).toBe(false);
    }
  });
});
