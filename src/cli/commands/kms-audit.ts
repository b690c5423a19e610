import { Command } from 'commander';
import { configOf, say, type CliDeps } from '../deps.js';
import { parseSince, queryAudit, type AuditRecord } from '../../core/kms-audit.js';
import { IntegrityError } from '../../errors.js';
import { oneLine } from '../../format/one-line.js';

const PROBLEMS = {
  torn: 'fragment of a line torn by a writer stopped mid-write; skipped',
  malformed: 'not an audit record; skipped',
  chain: 'does not follow the lines before it (a line was removed or edited)',
} as const;

function describe(record: AuditRecord): string {
  const params = record.requestParameters;
  const key = params.keyId ?? record.resources?.[0]?.ARN ?? '-';
  const context = params.encryptionContextKeys === undefined ? '' : `  context keys: ${params.encryptionContextKeys.join(',')}`;
  const outcome = record.errorCode === undefined ? record.outcome : `${record.outcome} ${record.errorCode}`;
  return oneLine(`${record.eventTime}  ${record.eventName}  ${record.userIdentity.accessKeyId}  ${record.sourceIPAddress}  ${key}  ${outcome}${context}`);
}

/** Options of `kms audit`. */
export interface KmsAuditOptions {
  since?: string;
  key?: string;
  json?: boolean;
  verify?: boolean;
}

export function kmsAuditCommand(deps: CliDeps): Command {
  return new Command('audit')
    .description('read the local KMS audit log (every key operation, in-process and served)')
    .option('--since <time>', 'only from this ISO date/time, or this long ago (30m, 12h, 7d)')
    .option('--key <key>', 'only operations on this key (id, ARN or alias)')
    .option('--json', 'print the records as JSON Lines')
    .option('--verify', 'fail (exit 5) when a line is torn, not a record, or breaks the hash chain')
    .action(async (opts: KmsAuditOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      const since = opts.since === undefined ? undefined : parseSince(opts.since, new Date());
      const keyring = await deps.openLocalKms(config, { audited: false });
      try {
        const result = await queryAudit({ path: deps.auditLogPath(config), describeKey: (k) => keyring.describeKey(k) }, { since, key: opts.key });
        for (const record of result.records) deps.io.stdout.write(opts.json ? `${JSON.stringify(record)}\n` : `${describe(record)}\n`);
        for (const bad of result.malformed) say(deps, `warning: ${bad.file} line ${bad.line}: ${PROBLEMS[bad.reason]}`);
        if (opts.verify && result.malformed.length > 0) throw new IntegrityError(`audit log check failed: ${result.malformed.length} line(s) torn, malformed or out of the hash chain`);
      } finally {
        keyring.close();
      }
    });
}
