/**
 * SIGUSR1 never opens Node's inspector in a keystash process holding plaintext (`kms serve` here;
 * `exec` in exec-table.test.ts). NODE_OPTIONS=--inspect-port=0 makes Node's default, if it were
 * still in place, listen on a free port and say "Debugger listening" on stderr.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
afterAll(() => h.cleanup());

describe('SIGUSR1', () => {
  it('kms serve keeps serving, opens no inspector, and still stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'kms', 'serve', '--port', '0'], {
      env: cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home, NODE_OPTIONS: '--inspect-port=0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
        child.stderr.on('data', () => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m?.[1]) (clearTimeout(timer), resolve(m[1]));
        });
      });
      child.kill('SIGUSR1');
      // A round trip after the signal, then a moment for Node's inspector thread (if it started) to
      // print its line.
      const response = await fetch(url, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) });
      expect(response.status).toBeGreaterThanOrEqual(400);
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGTERM');
      expect(await closed).toBe(0);
      expect(stderr).not.toContain('Debugger');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
