import { describe, expect, it } from 'vitest';
import { byteOrder, latestOfEach, latestRecord } from '../../../src/core/secrets/versions.js';
import type { SecretRow, SecretStore } from '../../../src/secretstore/types.js';

function rec(name: string, version: string): SecretRow {
  return { name, version, key: 'AQ==', contents: '', hmac: '00' };
}

/** The read side of a store over `rows`: getLatest in byte order, as SQLite and DynamoDB answer. */
function storeOf(rows: readonly SecretRow[]): SecretStore & { reads: string[] } {
  const reads: string[] = [];
  const of = (name: string) => rows.filter((r) => r.name === name).sort((a, b) => byteOrder(b.version, a.version));
  return {
    reads,
    async getLatest(name: string) {
      reads.push(`latest ${name}`);
      return of(name)[0];
    },
    async getVersion(name: string, version: string) {
      reads.push(`get ${name}@${version}`);
      return rows.find((r) => r.name === name && r.version === version);
    },
    async *listVersions(name: string) {
      reads.push(`versions ${name}`);
      yield* of(name).map(({ name: n, version }) => ({ name: n, version }));
    },
    async *listRows() {
      yield* rows;
    },
  } as unknown as SecretStore & { reads: string[] };
}

const P = (n: number) => String(n).padStart(19, '0');

describe('latestRecord and latestOfEach choose the same row', () => {
  const cases: Array<[string, string[], string | undefined]> = [
    ['no versions', [], undefined],
    ['canonical only', [P(1), P(2), P(10)], P(10)],
    ['legacy unpadded only: numeric, not byte order', ['1', '9', '10'], '10'],
    ['legacy above canonical', [P(2), '3'], '3'],
    ['canonical above legacy', ['3', P(4)], P(4)],
    ['byte-order top is legacy, numeric top canonical', [P(12), '9'], P(12)],
    ['a non-numeric version sorts after numbers', [P(5), 'zzzzzzzzzzzzzzzzzzzz'], 'zzzzzzzzzzzzzzzzzzzz'],
  ];
  it.each(cases)('%s', async (_what, versions, expected) => {
    const rows = [...versions.map((v) => rec('app', v)), rec('other', P(99))];
    const store = storeOf(rows);
    expect((await latestRecord(store, 'app'))?.version).toBe(expected);
    const each = await latestOfEach(store.listRows());
    expect(each.get('app')?.version).toBe(expected);
    expect(each.get('other')?.version).toBe(P(99));
  });

  it('trusts a canonical byte-order latest without listing every version', async () => {
    const store = storeOf([rec('app', P(1)), rec('app', P(2))]);
    await latestRecord(store, 'app');
    expect(store.reads).toEqual(['latest app']);
  });

  it('a legacy byte-order latest makes it compare every version, then read the winner', async () => {
    const store = storeOf([rec('app', '9'), rec('app', '10')]);
    expect((await latestRecord(store, 'app'))?.version).toBe('10');
    expect(store.reads).toEqual(['latest app', 'versions app', 'get app@10']);
  });
});

describe('byteOrder', () => {
  it.each([
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['a', 'a', 0],
    ['9', '10', 1],
    // UTF-8 bytes, not UTF-16 code units: U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80).
    ['\uFFFD', '\u{1F600}', -1],
    ['é', 'z', 1],
  ])('%j vs %j → %i', (a, b, sign) => {
    expect(Math.sign(byteOrder(a, b))).toBe(sign);
  });
});
