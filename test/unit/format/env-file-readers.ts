// Ports (written for these tests, not copied) of the two env-file readers the docker format is
// for, working on the file's bytes as the Go originals do:
//
// - docker: github.com/docker/cli pkg/kvfile/kvfile.go (`parseKeyValueFile`, which
//   opts/parse.go `readKVStrings` calls for `docker run --env-file`; formerly opts/envfile.go)
//   at commit 28f756087eea5fa301f3fbf12b01ae62f91521c2 (file last changed in 9ecfe4f5a763).
// - kubectl: github.com/kubernetes/kubectl pkg/cmd/util/env_file.go (`AddFromEnvFile`,
//   `processEnvFileLine`, used by `kubectl create secret generic --from-env-file`) at commit
//   dee3483a3d6a64c07fdf746caf80af446dee99ac (file last changed in 31e15a5c73db), with
//   k8s.io/apimachinery validation `IsEnvVarName` (`[-._a-zA-Z][-._a-zA-Z0-9]*`, not ".", "..",
//   "..*") and create_secret.go `addKeyFromLiteralToSecret` (`IsConfigMapKey`, duplicate keys).
//
// Both read lines with Go's bufio.Scanner + ScanLines, ported here as scanLines.

/** Go's bufio.MaxScanTokenSize. */
const MAX_SCAN_TOKEN = 64 * 1024;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * bufio.Scanner with ScanLines: tokens end at `\n`, one `\r` before it (or at EOF) is dropped, the
 * last line needs no `\n`. A token that does not fit the 64 KiB buffer (with its `\n`) stops the
 * scan with ErrTooLong: `tooLong` is set and the lines before it are returned.
 */
export function scanLines(bytes: Uint8Array): { lines: Uint8Array[]; tooLong: boolean } {
  const lines: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    // The buffer holds at most MAX_SCAN_TOKEN bytes; the newline (or EOF) must be seen within it.
    // At EOF a full buffer is reported before EOF is noticed, hence >= for the unterminated case.
    const needed = newline < 0 ? end - start : end - start + 1;
    if (newline < 0 ? needed >= MAX_SCAN_TOKEN : needed > MAX_SCAN_TOKEN) return { lines, tooLong: true };
    let line = bytes.subarray(start, end);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    lines.push(line);
    start = newline < 0 ? bytes.length : newline + 1;
  }
  return { lines, tooLong: false };
}

/** Go's unicode.IsSpace. */
function isGoSpace(cp: number): boolean {
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** strings.TrimLeftFunc(s, unicode.IsSpace). */
function trimLeftSpace(text: string): string {
  let i = 0;
  for (const ch of text) {
    if (!isGoSpace(ch.codePointAt(0) ?? 0)) break;
    i += ch.length;
  }
  return text.slice(i);
}

/** utf8.Valid, then the decoded text; undefined for invalid UTF-8 (surrogates included). */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function stripBom(line: Uint8Array, index: number): Uint8Array {
  return index === 0 && BOM.every((b, i) => line[i] === b) ? line.subarray(3) : line;
}

/** A reader's result: the variables in order (later duplicates win), or the error it reports. */
export type ReadResult = { ok: true; vars: Map<string, string> } | { ok: false; error: string };

/**
 * `docker run --env-file FILE`: kvfile.parseKeyValueFile, then opts.ConvertKVStringsToMap. `lookup`
 * stands for os.LookupEnv (a line without `=`).
 */
export function readDockerEnvFile(bytes: Uint8Array, lookup: (key: string) => string | undefined = () => undefined): ReadResult {
  const { lines, tooLong } = scanLines(bytes);
  const kv: string[] = [];
  for (const [index, raw] of lines.entries()) {
    // kvfile checks utf8.Valid before trimming the BOM.
    const text = decodeUtf8(raw);
    if (text === undefined) return { ok: false, error: `invalid utf8 bytes at line ${index + 1}` };
    const line = trimLeftSpace(index === 0 && text.startsWith('\ufeff') ? text.slice(1) : text);
    if (line.length === 0 || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (key.length === 0) return { ok: false, error: `no variable name on line '${line}'` };
    if (/[ \t]/.test(key)) return { ok: false, error: `variable '${key}' contains whitespaces` };
    if (eq >= 0) kv.push(line);
    else {
      const value = lookup(line);
      if (value !== undefined) kv.push(`${key}=${value}`);
    }
  }
  if (tooLong) return { ok: false, error: 'bufio.Scanner: token too long' };
  const vars = new Map<string, string>();
  for (const entry of kv) {
    const eq = entry.indexOf('=');
    vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return { ok: true, vars };
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_MAP_KEY = /^[-._a-zA-Z0-9]+$/;

/**
 * `kubectl create secret generic NAME --from-env-file FILE`: AddFromEnvFile feeding
 * addKeyFromLiteralToSecret. The scanner's error is not checked upstream, so a too-long line ends
 * the file silently. `getenv` stands for os.Getenv (a line without `=`).
 */
export function readKubectlEnvFile(bytes: Uint8Array, getenv: (key: string) => string = () => ''): ReadResult {
  const { lines } = scanLines(bytes);
  const vars = new Map<string, string>();
  for (const [index, raw] of lines.entries()) {
    if (decodeUtf8(raw) === undefined) return { ok: false, error: `invalid utf8 bytes at line ${index + 1}` };
    const line = trimLeftSpace(decodeUtf8(stripBom(raw, index)) ?? '');
    if (line.length === 0 || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (!ENV_VAR_NAME.test(key) || key === '.' || key === '..' || key.startsWith('..')) return { ok: false, error: `"${key}" is not a valid key name` };
    const value = eq < 0 ? getenv(key) : line.slice(eq + 1);
    if (key.length > 253 || !CONFIG_MAP_KEY.test(key)) return { ok: false, error: `"${key}" is not valid key name for a Secret` };
    if (vars.has(key)) return { ok: false, error: `cannot add key ${key}, another key by that name already exists` };
    vars.set(key, value);
  }
  return { ok: true, vars };
}
