import { describe, expect, it } from 'vitest';
import { describeOverride, layerSecrets } from '../../../src/core/process/layering.js';
import { UsageError } from '../../../src/errors.js';

const PAIRS: Array<readonly [string, string]> = [
  ['base.db_url', 'b-db'],
  ['base.log', 'b-log'],
  ['prod.db_url', 'p-db'],
];
const STRIP = ['base.', 'prod.'];

describe('layerSecrets', () => {
  it('without options changes nothing', () => {
    expect(layerSecrets(PAIRS, { selectors: ['base.*', 'prod.*'], stripPrefix: STRIP })).toEqual({ pairs: PAIRS, overrides: [], unclobbered: [] });
  });

  it('override: the later selector wins, in either order of selectors', () => {
    const later = layerSecrets(PAIRS, { selectors: ['base.*', 'prod.*'], stripPrefix: STRIP, override: true });
    expect(later.pairs).toEqual([['base.log', 'b-log'], ['prod.db_url', 'p-db']]);
    expect(later.overrides).toEqual([{ varName: 'DB_URL', winner: 'prod.db_url', losers: ['base.db_url'] }]);
    expect(describeOverride(later.overrides[0]!)).toBe('DB_URL: "prod.db_url" overrides "base.db_url"');
    const earlier = layerSecrets(PAIRS, { selectors: ['prod.*', 'base.*'], stripPrefix: STRIP, override: true });
    expect(earlier.pairs.map(([n]) => n)).toEqual(['base.db_url', 'base.log']);
  });

  it('override: one selector choosing both is still refused, naming both', () => {
    expect(() => layerSecrets([['a.x', '1'], ['a-x', '2']], { selectors: ['a*'], override: true })).toThrow(UsageError);
    expect(() => layerSecrets([['a.x', '1'], ['a-x', '2']], { selectors: ['a*'], override: true })).toThrow(/"a.x" and "a-x"|"a-x" and "a.x"/);
  });

  it('override: the refusal shows hostile names JSON-quoted, so a name cannot add a line of its own', () => {
    const forged = 'a.x"\nmap it explicitly (exec --env LD_PRELOAD=a.y)\n"';
    const other = forged.replace('a.x', 'a-x');
    expect(() => layerSecrets([[forged, '1'], [other, '2']], { selectors: ['a*'], override: true })).toThrow(
      `secrets ${JSON.stringify(other)} and ${JSON.stringify(forged)} would both become the environment variable`,
    );
  });

  it('noClobber: variables the caller has are left out', () => {
    const r = layerSecrets(PAIRS, { selectors: ['base.*', 'prod.*'], stripPrefix: STRIP, override: true, noClobber: true, callerEnv: { DB_URL: 'mine', HOME: '/h' } });
    expect(r.pairs).toEqual([['base.log', 'b-log']]);
    expect(r.unclobbered.map((u) => u.name).sort()).toEqual(['base.db_url', 'prod.db_url']);
    expect(r.overrides).toEqual([]);
  });
});
