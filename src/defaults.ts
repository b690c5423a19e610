/**
 * credstash's defaults, which keystash keeps: a leaf module, so the backends need not import the
 * configuration resolver (src/config.ts) to know them.
 */

/** credstash's table name, the default of `-t/--table` (and of the `setup` hint for a missing table). */
export const DEFAULT_TABLE = 'credential-store';

/** credstash's default master key, an alias (docs/format.md §3.4); the local KMS creates it on first use. */
export const DEFAULT_KEY = 'alias/credstash';
