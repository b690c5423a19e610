/**
 * Standard output that cannot take the output (a full disk: /dev/full answers every write with
 * ENOSPC) is a failure with one line on stderr, never a stack trace and never exit 0 with a
 * truncated file. Spawned: only a process has a real stdout to point at /dev/full.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
const env = cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home });
const MESSAGE = 'keystash: error: cannot write to standard output: no space left on device (ENOSPC); the output is incomplete\n';

beforeAll(async () => {
  expect((await h.run(['put', 'full.token', 'tok-value-1234'])).code).toBe(0);
});
afterAll(() => h.cleanup());

function toDevFull(args: string[]): { status: number | null; stderr: string } {
  const fd = openSync('/dev/full', 'w');
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, stdio: ['ignore', fd, 'pipe'], timeout: 20_000 });
    return { status: r.status, stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
  }
}

describe.runIf(existsSync('/dev/full'))('stdout on a full disk (/dev/full)', () => {
  it.each([[['get', 'full.token']], [['getall']], [['export', 'full.token', '-f', 'dotenv']], [['backup']]])('%j exits 1 with one line, no stack trace', (args) => {
    const r = toDevFull(args);
    expect(r.stderr).toBe(MESSAGE);
    expect(r.status).toBe(1);
  });

  it('exec --mask: output lost on the way out fails (1) and says so; the child ran', () => {
    const r = toDevFull(['exec', '--mask', 'full.token', '--', 'sh', '-c', 'echo "$FULL_TOKEN"; echo done']);
    expect(r.stderr).toBe(`keystash: error: the command's output was lost: ${MESSAGE.replace('keystash: error: ', '')}`);
    expect(r.status).toBe(1);
  });
});

describe('export --mask -o FILE with stdout redirected into the same FILE', () => {
  it('is refused (exit 2): the ::add-mask:: lines would put every value into $GITHUB_ENV; nothing written', () => {
    const file = join(h.home, '..', 'github_env');
    writeFileSync(file, '', { mode: 0o600 });
    const fd = openSync(file, 'a');
    try {
      const r = spawnSync(process.execPath, [BIN, 'export', 'full.token', '-f', 'github-env', '--mask', '-o', file], { env, stdio: ['ignore', fd, 'pipe'], timeout: 20_000 });
      expect(r.stderr.toString()).toContain('is also standard output here');
      expect(r.status).toBe(2);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});
