/**
 * `exec --mask` / KEYSTASH_MASK=1 with the built CLI and real child processes: values concealed
 * however the child writes them, exit status and signals passed through, and without the flag the
 * child's stdio is keystash's own (a terminal stays a terminal).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONCEALED } from '../../src/core/process/mask.js';
import { inProcessOn } from '../helpers/in-process.js';
import { announcePid } from '../helpers/proc.js';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
const local = inProcessOn(h);
const TOKEN = 'tok-9f8e7d6c5b4a';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END PRIVATE KEY-----\n';

beforeAll(async () => {
  expect((await local(['put', 'ci.token', TOKEN])).code).toBe(0);
  expect((await local(['put', 'ci.pem', '-'], { input: PEM })).code).toBe(0);
  expect((await local(['put', 'ci.short', 'abc'])).code).toBe(0);
});
afterAll(() => h.cleanup());

// Writes TOKEN to stdout one byte per write (each a separate read for keystash, with pauses),
// prints the PEM line by line on stderr, then exits 7.
const CHILD = `
const fs = require('fs');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
fs.writeSync(1, 'token=');
for (const ch of process.env.TOKEN) { fs.writeSync(1, ch); sleep(5); }
fs.writeSync(1, ' short=' + process.env.SHORT + '\\n');
for (const line of process.env.PEM.split('\\n')) fs.writeSync(2, 'log: ' + line + '\\n');
fs.writeSync(1, 'whole=' + process.env.PEM);
process.exit(7);
`;

describe('exec --mask', () => {
  it('conceals a value written one byte at a time and a multi-line value line by line; exit status passes through', async () => {
    for (const [flag, env] of [[['--mask'], {}], [[], { KEYSTASH_MASK: '1' }]] as const) {
      const r = await h.run(['exec', 'ci.*', '--strip-prefix', 'ci.', ...flag, '--', process.execPath, '-e', CHILD], { env });
      expect(r.code).toBe(7);
      // The whole PEM: one replacement per line, its line breaks kept.
      expect(r.stdout).toBe(`token=${CONCEALED} short=abc\nwhole=${CONCEALED}\n${CONCEALED}\n${CONCEALED}\n${CONCEALED}\n`);
      expect(r.stderr).toBe(
        ['log: -----BEGIN PRIVATE KEY-----', 'log: MIIEvQIBADANBgkqhkiG9w0B', 'log: AQEFAASCBKcwggSjAgEAAoIB', 'log: -----END PRIVATE KEY-----', 'log: ']
          .map((l) => (l.length > 5 ? `log: ${CONCEALED}` : l))
          .join('\n') + '\n',
      );
      expect(r.stdout + r.stderr).not.toContain(TOKEN.slice(0, 6));
    }
  });

  it('without --mask the output is untouched and a terminal stays a terminal', async () => {
    const r = await h.run(['exec', 'ci.token', '--', process.execPath, '-e', 'process.stdout.write(process.env.CI_TOKEN)']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(TOKEN);
    // Under script(1) (a pseudo-terminal) the child sees a terminal without --mask, a pipe with it.
    const probe = 'process.stdout.write("tty=" + Boolean(process.stdout.isTTY))';
    const viaScript = (mask: string[]): string => {
      const cmd = [process.execPath, BIN, 'exec', 'ci.token', ...mask, '--', process.execPath, '-e', probe].map((a) => `'${a}'`).join(' ');
      const result = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }), encoding: 'utf8', timeout: 30_000 });
      return result.stdout;
    };
    if (spawnSync('script', ['--version']).status === 0) {
      expect(viaScript([])).toContain('tty=true');
      expect(viaScript(['--mask'])).toContain('tty=false');
    }
  });

  it('forwards SIGTERM to the child and exits 128+15, output so far masked', async () => {
    const ready = join(h.home, '..', 'mask-ready');
    const script = `process.stdout.write('up ' + process.env.CI_TOKEN + '\\n'); ${announcePid(ready)} setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, 'exec', 'ci.token', '--mask', '--', process.execPath, '-e', script], {
      env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(out).toBe(`up ${CONCEALED}\n`);
    } finally {
      child.kill('SIGKILL');
      const pid = existsSync(ready) ? Number(readFileSync(ready, 'utf8')) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
});
