/**
 * Layering for `exec` and `export` (`keystash exec 'base.*' 'prod.*' --override`, like chamber's
 * later-service-wins and doppler's config inheritance). By default two secrets on one variable are
 * refused (varname.ts rule 5); with `override` the secret matched by the later selector wins, and
 * each variable so decided is reported so the caller can say it. With `noClobber`, a secret whose
 * variable the caller's environment already has is dropped (the caller's value is kept).
 * Pure: names and values in, names and values out.
 */
import { UsageError } from '../../errors.js';
import { quoteName } from '../../format/types.js';
import { toVarName, type StripPrefix } from '../../format/varname.js';
import { isPattern, matchesGlob } from '../secrets/wildcard.js';

/** One variable that two or more selected secrets mapped to, and which one won. */
export interface Override {
  varName: string;
  winner: string;
  losers: string[];
}

interface LayerOptions {
  /** The selectors in command-line order (empty with `--all`: every secret is in one layer). */
  selectors: readonly string[];
  stripPrefix?: StripPrefix;
  override?: boolean | undefined;
  noClobber?: boolean | undefined;
  /** The caller's environment, for `noClobber`. */
  callerEnv?: Readonly<Record<string, string | undefined>> | undefined;
}

interface LayerResult<P> {
  /** The pairs to use, in the given order. */
  pairs: P[];
  overrides: Override[];
  /** Secrets left out because the caller already has their variable. */
  unclobbered: Array<{ varName: string; name: string }>;
}

/**
 * Apply `override` and `noClobber` to `pairs`. With `override`, secrets on one variable are ranked
 * by the last selector matching each; the highest wins, and a tie (one selector matching both)
 * is still a UsageError naming both. Names that cannot become variables throw as in varname.ts.
 */
export function layerSecrets<P extends readonly [name: string, value: string]>(pairs: readonly P[], options: LayerOptions): LayerResult<P> {
  const byVar = new Map<string, Array<{ name: string; rank: number }>>();
  for (const [name] of pairs) {
    const varName = toVarName(name, options.stripPrefix);
    const group = byVar.get(varName) ?? [];
    group.push({ name, rank: selectorRank(name, options.selectors) });
    byVar.set(varName, group);
  }
  const dropped = new Set<string>();
  const overrides: Override[] = [];
  const unclobbered: Array<{ varName: string; name: string }> = [];
  for (const [varName, group] of byVar) {
    if (options.noClobber && options.callerEnv?.[varName] !== undefined) {
      for (const { name } of group) {
        dropped.add(name);
        unclobbered.push({ varName, name });
      }
      continue;
    }
    if (group.length < 2 || !options.override) continue;
    const ranked = [...group].sort((a, b) => b.rank - a.rank);
    const [first, second] = ranked as [{ name: string; rank: number }, { name: string; rank: number }];
    if (first.rank === second.rank) {
      throw new UsageError(`secrets ${quoteName(second.name)} and ${quoteName(first.name)} would both become the environment variable ${varName}, and the same selector chose both`);
    }
    const losers = ranked.slice(1).map((e) => e.name);
    for (const loser of losers) dropped.add(loser);
    overrides.push({ varName, winner: first.name, losers });
  }
  return { pairs: pairs.filter(([name]) => !dropped.has(name)), overrides, unclobbered };
}

/** Index of the last selector that chooses `name` (0 when there are none, e.g. `--all`). */
function selectorRank(name: string, selectors: readonly string[]): number {
  for (let i = selectors.length - 1; i >= 0; i--) {
    const selector = selectors[i] ?? '';
    if (isPattern(selector) ? matchesGlob(selector, name) : selector === name) return i;
  }
  return 0;
}

/** The stderr line for one override: `DB_URL: "prod.db_url" overrides "base.db_url"`. */
export function describeOverride(override: Override): string {
  return `${override.varName}: ${JSON.stringify(override.winner)} overrides ${override.losers.map((l) => JSON.stringify(l)).join(', ')}`;
}
