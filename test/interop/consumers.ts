// The real programs that read keystash's output formats, driven from tests: POSIX shells
// (bash, dash) sourcing a file, Python's csv and json modules, PyYAML. Temp files live under
// os.tmpdir() and are removed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Write `text` to a fresh temp file, run `fn` on its path, remove the directory. */
export function withTempFile<T>(text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'keystash-format-'));
  try {
    const path = join(dir, 'out');
    writeFileSync(path, text, 'utf8');
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited ${String(result.status)}: ${result.stderr}`);
  return result.stdout;
}

// Prints the named variables as JSON (absent → null), byte-exact through UTF-8 JSON.
const DUMP_ENV = 'const o={};for(const n of process.argv.slice(1))o[n]=process.env[n]??null;process.stdout.write(JSON.stringify(o))';

/**
 * Source `text` with `shell` (`set -a; . FILE`), then report the named variables as the exported
 * environment of a child process sees them.
 */
export function sourceWithShell(shell: 'bash' | 'sh', text: string, names: readonly string[]): Record<string, string | null> {
  return withTempFile(text, (path) => {
    const script = 'set -a; . "$1"; shift; exec node -e "$DUMP" -- "$@"';
    const out = run(shell, ['-c', `DUMP='${DUMP_ENV}'; ${script}`, 'sh', path, ...names]);
    return JSON.parse(out) as Record<string, string | null>;
  });
}

/** Python `csv.reader` over `text` (newline='' so quoted CR/LF stay as written). */
export function pythonCsv(text: string): string[][] {
  const code = 'import csv,io,json,sys; r=csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")); sys.stdout.write(json.dumps(list(r)))';
  return JSON.parse(run('python3', ['-c', code], text)) as string[][];
}

/** Python's `json.dumps(json.load(stdin), sort_keys=True, indent=4, separators=(",", ": "))`. */
export function pythonJsonDumps(text: string): string {
  const code = 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, indent=4, separators=(",", ": ")), end="")';
  return run('python3', ['-c', code], text);
}

/** PyYAML `safe_load` of `text`, returned through JSON; undefined when PyYAML is not installed. */
export function pyyamlLoad(text: string): unknown {
  const probe = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const code = 'import json,sys,yaml; sys.stdout.write(json.dumps(yaml.safe_load(sys.stdin.buffer.read().decode("utf-8"))))';
  return JSON.parse(run('python3', ['-c', code], text));
}
