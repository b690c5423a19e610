/**
 * A value read at a terminal cannot drive it: control characters in what `get`, `getall` and
 * `export` print are shown escaped when standard output is a terminal (script(1) gives one), with
 * one note; a pipe gets the exact bytes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessOn } from '../helpers/in-process.js';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
const local = inProcessOn(h);
// Retitles the window (OSC 0), then the visible part of the value.
const HOSTILE = 'x\u001b]0;owned\u0007y\u009b2Jz';
const hasScript = spawnSync('script', ['--version']).status === 0;

beforeAll(async () => {
  expect((await local(['put', 'term.value', HOSTILE])).code).toBe(0);
});
afterAll(() => h.cleanup());

/** Run keystash under a pseudo-terminal; stdout and stderr arrive together. */
function atTerminal(args: string[]): { status: number | null; output: string } {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }), encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: r.stdout };
}

describe.runIf(hasScript)('at a terminal', () => {
  it.each([[['get', 'term.value']], [['getall', '-f', 'csv']], [['export', 'term.value', '-f', 'csv']]])('%j shows control characters escaped, with one note', (args) => {
    const r = atTerminal(args);
    expect(r.status).toBe(0);
    expect(r.output).toContain('x\\u001b]0;owned\\u0007y\\u009b2Jz');
    expect(r.output).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(r.output.match(/shown escaped; pipe or redirect it for the exact bytes/g)).toHaveLength(1);
  });

  it('a value with only line breaks and tabs is printed as it is, without a note', async () => {
    expect((await local(['put', 'term.plain', 'a\tb\nc'])).code).toBe(0);
    const r = atTerminal(['get', 'term.plain']);
    expect(r.output).toContain('a\tb\r\nc');
    expect(r.output).not.toContain('shown escaped');
  });
});

it('through a pipe the value keeps its exact bytes', async () => {
  const r = await h.run(['get', 'term.value']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(`${HOSTILE}\n`);
  expect(r.stderr).toBe('');
});

it('a command-line value that is not valid UTF-8 is refused, not stored with U+FFFD in its place (spawned: argv bytes)', async () => {
  const r = spawnSync('sh', ['-c', `exec "$0" "$1" put bad.bytes "$(printf 'p\\377\\376q')"`, process.execPath, BIN], {
    env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('the value on the command line is not valid UTF-8 text');
  expect((await local(['get', 'bad.bytes'])).code).toBe(3);
  // Text that really holds U+FFFD goes through stdin.
  expect((await local(['put', 'ok.replacement', '-'], { input: 'a\uFFFDb' })).code).toBe(0);
});
