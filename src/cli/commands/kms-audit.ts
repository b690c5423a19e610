import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { configOf, say, type CliDeps } from '../deps.js';
import { parseSince, pruneAudit, queryAudit, type AuditRecord, type MalformedLine } from '../../core/policy/kms-audit.js';
import { IntegrityError } from '../../errors.js';
import { oneLine } from '../../format/one-line.js';

const PROBLEMS: Record<MalformedLine['reason'], (detail: string) => string> = {
  torn: () => 'fragment of a line torn by a writer stopped mid-write (cut by a crash, not an edit); skipped',
  malformed: () => 'not an audit record; skipped',
  chain: () => 'does not follow the lines before it (a line was removed or edited)',
  beginning: () => 'the beginning of the log is missing: the first record follows a line that is not there (its first lines or files were removed)',
  'missing-file': (file) => `follows the rotated file ${file}, which is missing (a rotated file was removed)`,
  cut: (file) => `does not follow the end of ${file} (its last lines were cut or edited)`,
  duplicate: () => 'repeats the eventID of an earlier record (a line was copied in again: a replay)',
  unmarked: () => 'has no eventID though an earlier record has one (an old-format line was copied in, or its eventID removed)',
};

/** A field as shown: bare when it is a plain token, else JSON-quoted (a space or quote cannot fake another column). */
function field(text: string): string {
  return /^[A-Za-z0-9._:/@=+*-]+$/.test(text) ? text : JSON.stringify(text);
}

function describe(record: AuditRecord): string {
  const params = record.requestParameters;
  const key = params.keyId ?? record.resources?.[0]?.ARN ?? '-';
  const alias = params.aliasName !== undefined ? `  alias ${field(params.aliasName)}` : params.aliasNameInvalid === true ? '  alias (invalid name)' : '';
  const source = params.sourceKeyId === undefined ? '' : `  from ${field(params.sourceKeyId)}`;
  const context = params.encryptionContextKeys === undefined ? '' : `  context keys: ${params.encryptionContextKeys.map(field).join(',')}`;
  const outcome = record.errorCode === undefined ? field(record.outcome) : `${field(record.outcome)} ${field(record.errorCode)}`;
  const data = record.additionalEventData;
  const count = typeof data?.count === 'number' ? `  count=${data.count}` : '';
  const names = typeof data?.namesDigest === 'string' ? `  names=${field(String(data.names))} ${field(data.namesDigest)}` : '';
  const fields = [record.eventTime, record.eventName, record.userIdentity.accessKeyId, record.sourceIPAddress, key].map((f) => field(String(f)));
  return oneLine(`${fields.join('  ')}${alias}${source}  ${outcome}${count}${names}${context}`);
}

/** Options of `kms audit`. */
type KmsAuditOptions = OptionsOf<'kms audit'>;

export function kmsAuditCommand(deps: CliDeps): Command {
  return withGrammar(new Command('audit'), COMMAND_GRAMMAR['kms audit'])
    .description('read the local KMS audit log (every key operation, in-process and served)')
    .action(async (opts: KmsAuditOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      if (opts.pruneBefore !== undefined) {
        const removed = pruneAudit(deps.auditLogPath(config), parseSince(opts.pruneBefore, new Date(), '--prune-before'));
        say(deps, removed.length === 0 ? 'no rotated audit file is older than that' : `removed ${removed.length} rotated audit file(s): ${removed.join(', ')}`);
        return;
      }
      const since = opts.since === undefined ? undefined : parseSince(opts.since, new Date());
      const keyring = await deps.openLocalKms(config, { audited: false });
      try {
        const result = await queryAudit({ path: deps.auditLogPath(config), describeKey: (k) => keyring.describeKey(k) }, { since, key: opts.key });
        for (const record of result.records) deps.io.stdout.write(opts.json ? `${JSON.stringify(record)}\n` : `${describe(record)}\n`);
        for (const bad of result.malformed) say(deps, `warning: ${bad.file} line ${bad.line}: ${PROBLEMS[bad.reason](bad.detail ?? '?')}`);
        if (opts.verify && result.malformed.length > 0) throw new IntegrityError(`audit log check failed: ${result.malformed.length} finding(s): torn, malformed, unchained or repeated lines, or missing files or beginning`);
      } finally {
        keyring.close();
      }
    });
}
