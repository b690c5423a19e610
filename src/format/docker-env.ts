/**
 * Env-file output for `docker run --env-file` (docker/cli `pkg/kvfile`, formerly `opts/envfile.go`)
 * and `kubectl create secret generic --from-env-file` (kubectl `pkg/cmd/util/env_file.go`): one
 * `NAME=value` line per secret, no quoting. Both readers split the file at `\n` with Go's
 * `bufio.Scanner` (which also drops one `\r` before each `\n`, and gives up on a line of 64 KiB or
 * more), skip leading whitespace of a line, and keep everything after the first `=` verbatim —
 * quotes included. So a value is written as it is, or refused (UsageError naming the secret) when:
 * - it contains a line feed (it would end the line) or NUL (no environment variable holds one);
 * - it ends with a carriage return (the scanner drops it);
 * - it starts or ends with whitespace (docker compose's `env_file`, systemd and most dotenv readers
 *   trim it, so the same file would read back differently there);
 * - it is not well-formed UTF-16 (a lone surrogate has no UTF-8 form; both readers refuse invalid
 *   UTF-8);
 * - the line `NAME=value` would be 65 535 UTF-8 bytes or longer (`bufio.MaxScanTokenSize`; docker
 *   fails, kubectl silently stops reading the file).
 * Names follow varname.ts and are also valid Secret data keys (`[-._a-zA-Z0-9]+`, ≤ 253).
 */
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { otherFormats, quoteName } from './types.js';
import { variableEntries } from './varname.js';

/** Go's `bufio.MaxScanTokenSize`: a line and its `\n` must fit in this many bytes. */
const MAX_SCAN_TOKEN = 64 * 1024;
/** Kubernetes `IsConfigMapKey` / `IsEnvVarName` length limit. */
const MAX_KEY_LENGTH = 253;
/** Go's `unicode.IsSpace` (and JavaScript's `\s` covers the same ASCII and Unicode spaces). */
const EDGE_SPACE = /^[\s\u0085]|[\s\u0085]$/;

/** Why `value` cannot be a docker env-file value, or undefined when it reads back exactly. */
export function dockerEnvProblem(varName: string, value: string): string | undefined {
  if (value.includes('\0')) return 'its value contains a NUL character, which no environment variable can hold';
  if (value.includes('\n')) return 'its value contains a newline, which ends the line in an env file';
  if (value.endsWith('\r')) return 'its value ends with a carriage return, which env-file readers drop';
  if (EDGE_SPACE.test(value)) return 'its value starts or ends with whitespace, which many env-file readers trim';
  if (!value.isWellFormed()) return 'its value is not valid Unicode (a lone surrogate)';
  if (varName.length > MAX_KEY_LENGTH) return `its variable name is longer than ${MAX_KEY_LENGTH} characters (kubectl's limit)`;
  if (Buffer.byteLength(`${varName}=${value}\n`, 'utf8') > MAX_SCAN_TOKEN) return 'the line would be 64 KiB or longer, which env-file readers cannot read';
  return undefined;
}

/**
 * Render secrets as unquoted `NAME=value` lines, each ended by `\n`, in the given order. Throws
 * UsageError naming the secret for a name varname.ts refuses or a value the readers would alter.
 */
export function renderDockerEnv(secrets: SecretMap, options: FormatOptions = {}): string {
  return variableEntries(secrets, options.stripPrefix, options.allowEnv)
    .map(([name, value, varName]) => {
      const problem = dockerEnvProblem(varName, value);
      if (problem !== undefined) {
        throw new UsageError(`secret ${quoteName(name)} cannot be written in docker env-file format: ${problem}; ${otherFormats(value)}`);
      }
      return `${varName}=${value}\n`;
    })
    .join('');
}
