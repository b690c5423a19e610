/**
 * GitHub Actions output: lines for the `$GITHUB_ENV` and `$GITHUB_OUTPUT` files and
 * `::add-mask::` workflow commands.
 *
 * Every variable uses the multi-line form `NAME<<DELIMITER`, value, `DELIMITER`. The runner
 * (actions/runner `SetEnvFileCommand`) takes the text between the line after `NAME<<DELIMITER`
 * and the line break before the first line equal to the delimiter, so any value — with newlines,
 * `=`, `<<`, trailing newline, empty — comes back verbatim on Linux and macOS runners (Windows
 * runners also treat CR LF as a line break, so a CR right before a value's line break is lost
 * there). The delimiter is `ghadelimiter_<random UUID>` (what @actions/core uses), re-drawn until
 * it does not occur anywhere in the value. Names follow varname.ts.
 */
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { quoteName } from './types.js';
import { toVarName, variableEntries } from './varname.js';
import { secretEntries } from './types.js';

/** Makes a candidate heredoc delimiter; injectable so tests can force collisions. */
type DelimiterSource = () => string;

const randomDelimiter: DelimiterSource = () => `ghadelimiter_${randomUUID()}`;

/**
 * Render secrets as `$GITHUB_ENV` heredoc entries, in the given order. Not deterministic: the
 * delimiters are random. A value containing NUL is refused (UsageError naming the secret).
 */
export function renderGithubEnv(secrets: SecretMap, options: FormatOptions = {}, makeDelimiter: DelimiterSource = randomDelimiter): string {
  return variableEntries(secrets, options.stripPrefix, options.allowEnv)
    .map(([name, value, varName]) => {
      if (value.includes('\0')) {
        throw new UsageError(`secret ${quoteName(name)} cannot be written to GITHUB_ENV: its value contains a NUL character`);
      }
      const delimiter = delimiterFor(value, makeDelimiter);
      return `${varName}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/**
 * Render secrets as `$GITHUB_OUTPUT` heredoc entries (the runner reads that file with the same
 * rules as `$GITHUB_ENV`), for `steps.<id>.outputs.<NAME>`. Output names follow varname.ts rules
 * 1–5 (an output sets no environment variable, so rule 6 does not apply). Not deterministic (random
 * delimiters); a NUL in a value is refused (UsageError naming the secret).
 */
export function renderGithubOutput(secrets: SecretMap, options: FormatOptions = {}, makeDelimiter: DelimiterSource = randomDelimiter): string {
  const owners = new Map<string, string>();
  return secretEntries(secrets)
    .map(([name, value]) => {
      const outputName = toVarName(name, options.stripPrefix);
      const other = owners.get(outputName);
      if (other !== undefined) throw new UsageError(`secrets ${quoteName(other)} and ${quoteName(name)} would both become the output ${outputName}`);
      owners.set(outputName, name);
      if (value.includes('\0')) throw new UsageError(`secret ${quoteName(name)} cannot be written to GITHUB_OUTPUT: its value contains a NUL character`);
      const delimiter = delimiterFor(value, makeDelimiter);
      return `${outputName}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/**
 * `::add-mask::` commands for every line of every value (GitHub masks multi-line secrets line by
 * line), de-duplicated, in first-seen order. Lines are split at LF, CR LF and CR; empty and
 * whitespace-only lines are skipped (masking them would hide every space in the log, and they
 * reveal nothing). The data is escaped as workflow commands require: `%` → `%25`, CR → `%0D`,
 * LF → `%0A`.
 */
export function renderGithubMask(values: Iterable<string>): string {
  const lines = new Set<string>();
  for (const value of values) {
    for (const line of value.split(/\r\n|\r|\n/)) {
      if (line.trim() !== '') lines.add(line);
    }
  }
  return [...lines].map((line) => `::add-mask::${escapeCommandData(line)}\n`).join('');
}

/** Workflow-command data escaping (actions/toolkit `escapeData`). */
export function escapeCommandData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function delimiterFor(value: string, makeDelimiter: DelimiterSource): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = makeDelimiter();
    if (/^[^\r\n]+$/.test(candidate) && !value.includes(candidate)) return candidate;
  }
  throw new UsageError('could not choose a GITHUB_ENV delimiter that does not occur in a value');
}
