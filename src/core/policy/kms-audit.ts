/**
 * `kms audit`: the local KMS audit log (src/localkms/audit-log.ts) filtered by time and key. A key
 * given by alias also matches records that name it by id or ARN (the alias is resolved through
 * the keyring when it can be, without itself being recorded), and the alias operations that
 * name the alias itself (created, moved, deleted, or refused), also once it is gone.
 */
import { AuditLog, pruneAuditLog } from '../../localkms/audit-log.js';
import type { AuditRecord } from '../../localkms/audit-log.js';
import { parseSince, readAuditLog } from '../../localkms/audit-read.js';
import type { AuditReadResult, MalformedLine } from '../../localkms/audit-read.js';
import type { KeyMetadata } from '../../localkms/key-manager.js';
import { aliasNameOf } from '../../localkms/keyring-format.js';

/** What {@link queryAudit} needs: the log's path and, optionally, a keyring to resolve `key` with. */
interface AuditDeps {
  path: string;
  describeKey?: (key: string) => Promise<KeyMetadata>;
}

/** Options of {@link queryAudit}. */
interface AuditOptions {
  since?: Date | undefined;
  key?: string | undefined;
}

export type { AuditRecord, MalformedLine };
export { parseSince };

/** Records of the log matching `options`, oldest first, and the lines that were not records. */
export async function queryAudit(deps: AuditDeps, options: AuditOptions): Promise<AuditReadResult> {
  let keys: string[] | undefined;
  if (options.key !== undefined) {
    keys = [options.key];
    // An alias ARN also finds the records that name the alias (alias operations name it bare).
    const alias = aliasNameOf(options.key);
    if (alias !== undefined && alias !== options.key) keys.push(alias);
    try {
      const meta = await deps.describeKey?.(options.key);
      if (meta !== undefined) keys.push(meta.arn, meta.keyId, ...meta.aliases);
    } catch {
      // unknown to the keyring (deleted, or never there): match the name as given
    }
  }
  return readAuditLog(deps.path, { since: options.since, keys });
}

/**
 * `kms audit --prune-before`: remove the rotated audit files whose last record is older than
 * `before` (oldest first; never the current file). A record of the removal is appended first, so
 * the removal is itself in the log and `--verify` accepts the pruned beginning. Returns the names removed.
 */
export function pruneAudit(path: string, before: Date): string[] {
  return pruneAuditLog(new AuditLog(path), before);
}
