/**
 * Bounded concurrency for bulk operations: at most `limit` calls of `fn` in flight.
 */

/** Outcome of one item of a bulk run. */
type Settled<T, R> = { item: T; ok: true; value: R } | { item: T; ok: false; error: unknown };

/**
 * Run `fn` over `items` with at most `limit` in flight; never rejects, returns every outcome in
 * input order. Items may be any iterable (consumed lazily, so a large async source is not
 * materialised ahead of the workers).
 *
 * With `stopOn`, an error it accepts (a set-up failure, errors.ts isSetupError) stops the run: no
 * further item is started, and once the calls in flight have settled the call rejects with it.
 */
export async function mapSettled<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  options: { stopOn?: (error: unknown) => boolean } = {},
): Promise<Array<Settled<T, R>>> {
  const results: Array<Settled<T, R>> = [];
  let stopped: { error: unknown } | undefined;
  const iterator = Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : toAsync(items as Iterable<T>);
  let index = 0;
  const worker = async (): Promise<void> => {
    while (stopped === undefined) {
      const next = await iterator.next();
      if (next.done) return;
      const i = index++;
      try {
        results[i] = { item: next.value, ok: true, value: await fn(next.value, i) };
      } catch (error) {
        results[i] = { item: next.value, ok: false, error };
        if (stopped === undefined && options.stopOn?.(error)) stopped = { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (stopped !== undefined) throw stopped.error;
  return results;
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
