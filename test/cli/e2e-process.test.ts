/**
 * What only a process of the built binary shows (everything else runs in-process): the exit
 * status the shell sees, quiet exit 141 when the reader of stdout goes away (EPIPE), and an AWS
 * command that prints nothing but its result (the SDK's Node-version warning silenced by the
 * binary, not by the environment). Other process-level tests: startup, lazy-loading, exec*,
 * kms-serve, kms-principals, rotate-cli (SIGKILL mid-run), data-dir-proc, package, build, quickstart.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';
import { awsTestEnv } from '../helpers/aws-env.js';

const h = cliHome();
afterAll(() => h.cleanup());

describe('exit status of the binary', () => {
  it.each([
    ['success', ['put', 'proc.s', 'v'], 0],
    ['not found', ['get', 'proc.missing'], 3],
    ['usage error', ['get'], 2],
  ] as const)('%s → exit %i', async (_label, args, code) => {
    const r = await h.run(args);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(code);
  });
});

describe('stdout closed by its reader (keystash getall | head)', () => {
  it('exits 141 quietly instead of crashing on EPIPE with a stack trace', async () => {
    const value = 'v'.repeat(1000);
    const r = await h.run(['putall', '-'], { input: JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`pipe.k${i}`, value]))) });
    expect(r.code, r.stderr).toBe(0);
    const child = spawn(process.execPath, [BIN, 'getall', '-f', 'dotenv'], { env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});

describe('--backend aws through the binary', () => {
  const table = `e2e-proc-${Date.now().toString(36)}`;
  const env = awsTestEnv();
  const aws = (args: string[]) => h.run(['--backend', 'aws', '-t', table, ...args], { env });

  it('the test environment does not disable the SDK warning itself (so `quiet` proves main.ts does)', () => {
    expect(Object.keys(cleanEnv(env)).filter((k) => k.startsWith('AWS_SDK_'))).toEqual([]);
  });

  // The SDK only warns on Node < 22: elsewhere there is no warning to show.
  it.skipIf(Number(process.versions.node.split('.')[0]) >= 22)('the SDK itself warns on this Node, so a quiet keystash proves main.ts silences it', () => {
    const probe = "import('@aws-sdk/client-dynamodb').then((m) => new m.DynamoDBClient({ region: 'us-east-1' }))";
    const child = spawnSync(process.execPath, ['-e', probe], { env: cleanEnv(env), encoding: 'utf8' });
    expect(child.stderr).toContain('NodeVersionSupportWarning');
  });

  it('setup, put and get print no SDK warning, other warning or stack', async () => {
    for (const [args, stdout] of [
      [['setup'], ''],
      [['put', 'proc.aws', 'aws-value'], ''],
      [['get', 'proc.aws'], 'aws-value\n'],
    ] as const) {
      const r = await aws([...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(stdout);
      expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|Warning|\n\s+at /);
    }
  });
});
