import { describe, expect, it } from 'vitest';
import { mapSettled } from '../../../src/core/secrets/concurrency.js';
import { ConfigError, DecryptError, IntegrityError, isSetupError, KmsError, SecretNotFoundError, StoreError } from '../../../src/errors.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` under mapSettled and records the greatest number of calls in flight at once. */
async function measured<T>(items: Iterable<T> | AsyncIterable<T>, limit: number, delay: (item: T) => number) {
  let inFlight = 0;
  let peak = 0;
  const settled = await mapSettled(items, limit, async (item, index) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      await tick(delay(item));
      return { item, index };
    } finally {
      inFlight--;
    }
  });
  return { settled, peak };
}

describe('mapSettled', () => {
  it.each([
    // [items, limit, expected peak in flight]
    [10, 1, 1],
    [10, 3, 3],
    [10, 16, 10],
    [2, 5, 2],
    [5, 0, 1], // a limit below one still makes progress, one at a time
    [5, -4, 1],
  ])('%i items, limit %i → at most %i in flight', async (count, limit, peak) => {
    const items = Array.from({ length: count }, (_, i) => i);
    const result = await measured(items, limit, (i) => (i % 3) * 2);
    expect(result.peak).toBe(peak);
    expect(result.settled).toHaveLength(count);
  });

  it('returns outcomes in input order, whatever order they finish in', async () => {
    const items = [30, 0, 20, 5, 10];
    const { settled } = await measured(items, 5, (ms) => ms);
    expect(settled.map((s) => (s.ok ? s.value : undefined))).toEqual(items.map((item, index) => ({ item, index })));
  });

  it('keeps each error with its item and never rejects', async () => {
    const boom = new Error('boom 2');
    const settled = await mapSettled(['a', 'b', 'c', 'd'], 2, async (item, index) => {
      if (index === 2) throw boom;
      if (item === 'd') throw 'not an Error';
      return item.toUpperCase();
    });
    expect(settled).toEqual([
      { item: 'a', ok: true, value: 'A' },
      { item: 'b', ok: true, value: 'B' },
      { item: 'c', ok: false, error: boom },
      { item: 'd', ok: false, error: 'not an Error' },
    ]);
  });

  it('a failure does not stop the other items', async () => {
    const ran: number[] = [];
    const settled = await mapSettled([0, 1, 2, 3, 4, 5], 2, async (i) => {
      ran.push(i);
      if (i === 0) throw new Error('first');
      return i;
    });
    expect(ran.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(settled.filter((s) => s.ok)).toHaveLength(5);
  });

  it('consumes an async source lazily, never more than `limit` items ahead of the workers', async () => {
    let pulled = 0;
    let finished = 0;
    let maxAhead = 0;
    async function* source() {
      for (let i = 0; i < 12; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - finished);
        yield i;
      }
    }
    const settled = await mapSettled(source(), 3, async (i) => {
      await tick(1);
      finished++;
      return i * 2;
    });
    expect(settled.map((s) => (s.ok ? s.value : -1))).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
    expect(maxAhead).toBeLessThanOrEqual(3);
  });

  it('accepts any iterable (a Set, a Map\'s keys) and an empty one', async () => {
    expect((await mapSettled(new Set(['x', 'y']), 4, async (s) => s + s)).map((s) => s.ok && s.value)).toEqual(['xx', 'yy']);
    expect((await mapSettled(new Map([[1, 'a']]).keys(), 4, async (k) => k + 1)).map((s) => s.ok && s.value)).toEqual([2]);
    expect(await mapSettled([], 4, async () => 1)).toEqual([]);
  });

  it('passes each item its input index', async () => {
    const settled = await mapSettled(['a', 'b', 'c'], 3, async (item, index) => `${index}:${item}`);
    expect(settled.map((s) => s.ok && s.value)).toEqual(['0:a', '1:b', '2:c']);
  });
});

describe('mapSettled stopOn (set-up failures stop a bulk run)', () => {
  it('starts no item after an error stopOn accepts, and rejects with that error', async () => {
    const started: number[] = [];
    const setup = new ConfigError('keyring locked');
    const run = mapSettled(Array.from({ length: 50 }, (_, i) => i), 4, async (i) => {
      started.push(i);
      await tick(0);
      if (i === 5) throw setup;
      if (i % 2 === 1) throw new DecryptError();
      return i;
    }, { stopOn: isSetupError });
    await expect(run).rejects.toBe(setup);
    // Items 0..5 plus at most the three others in flight when item 5 failed.
    expect(started.length).toBeLessThanOrEqual(9);
  });

  it('row errors do not stop it', async () => {
    const settled = await mapSettled([1, 2, 3], 2, async (i) => {
      if (i !== 2) throw new IntegrityError();
      return i;
    }, { stopOn: isSetupError });
    expect(settled.map((s) => s.ok)).toEqual([false, true, false]);
  });
});

describe('isSetupError: the one classification of per-row vs set-up failures', () => {
  it.each([
    [new ConfigError('bad keyring'), true],
    [new StoreError('table missing', { code: 'store.tableMissing' }), true],
    [new StoreError('no store', { code: 'store.missing' }), true],
    [new StoreError('unreachable', { code: 'store.unreachable' }), true],
    [new KmsError('creds', { code: 'kms.credentials' }), true],
    [new KmsError('unreachable', { code: 'kms.unreachable' }), true],
    [new KmsError('locked', { code: 'kms.keyringLocked' }), true],
    [new StoreError('denied one name', { code: 'store.accessDenied' }), false],
    [new KmsError('key of this row not found', { code: 'kms.notFound' }), false],
    [new KmsError('denied for this context', { code: 'kms.accessDenied' }), false],
    [new DecryptError(), false],
    [new IntegrityError(), false],
    [new SecretNotFoundError('x'), false],
    [new Error('bug'), false],
  ])('%s → %s', (error, expected) => {
    expect(isSetupError(error)).toBe(expected);
  });
});
