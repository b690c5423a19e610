/**
 * `export -f docker` (env-no-quotes) and the k8s-secret options, run in-process against a temporary
 * home; the output is read back with the ports of docker's and kubectl's env-file readers and
 * with the `yaml` parser. `export -o` to a FIFO of your own writes through without changing its mode
 * (test/cli/output-targets.test.ts has the refusals).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { addMaskValues, parseGithubEnvFile } from '../helpers/github-runner.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { readDockerEnvFile, readKubectlEnvFile } from '../unit/format/env-file-readers.js';

const h = inProcessHome();
const VALUES: Array<[string, string]> = [
  ['app.db-url', 'postgres://app:p@ss"w\'rd@db/app?ssl=1'],
  ['app.token', '$HOME `id` #x'],
  ['app.empty', ''],
];

beforeAll(async () => {
  for (const [name, value] of VALUES) expect((await h.run(['put', name, '-'], { input: value })).code).toBe(0);
  expect((await h.run(['put', 'multi.pem', '-'], { input: '-----BEGIN-----\nabc\n-----END-----\n' })).code).toBe(0);
});
afterAll(() => h.cleanup());

describe('export -f docker', () => {
  it('writes NAME=value lines that docker and kubectl read back exactly (alias env-no-quotes)', async () => {
    const r = await h.run(['export', 'app.*', '-f', 'docker', '--strip-prefix', 'app.']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = { DB_URL: VALUES[0]?.[1], TOKEN: VALUES[1]?.[1], EMPTY: '' };
    for (const read of [readDockerEnvFile, readKubectlEnvFile]) {
      const result = read(new TextEncoder().encode(r.stdout));
      expect(result.ok && Object.fromEntries(result.vars)).toEqual(expected);
    }
    expect((await h.run(['export', 'app.*', '-f', 'env-no-quotes', '--strip-prefix', 'app.'])).stdout).toBe(r.stdout);
  });

  it('refuses a multi-line value naming the secret, prints nothing, exit 2', async () => {
    const r = await h.run(['export', 'app.*', 'multi.pem', '-f', 'docker']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('secret "multi.pem" cannot be written in docker env-file format');
    expect(r.stderr).not.toContain('BEGIN');
  });
});

describe('export -f k8s-secret --k8s-namespace --env-keys', () => {
  it('puts the namespace in metadata and variable names as keys', async () => {
    const r = await h.run(['export', 'app.*', '-f', 'k8s-secret', '--k8s-name', 'app', '--k8s-namespace', 'prod', '--env-keys', '--strip-prefix', 'app.']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const manifest = parseYaml(r.stdout) as { metadata: Record<string, string>; data: Record<string, string> };
    expect(manifest.metadata).toEqual({ name: 'app', namespace: 'prod' });
    expect(Object.keys(manifest.data)).toEqual(['DB_URL', 'EMPTY', 'TOKEN']);
    for (const key of Object.keys(manifest.data)) expect(key.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(key)).toBe(true);
    expect(Buffer.from(manifest.data.TOKEN ?? '', 'base64').toString('utf8')).toBe(VALUES[1]?.[1]);
  });

  it('refuses --env-keys and --k8s-namespace with another format (exit 2)', async () => {
    const r = await h.run(['export', 'app.*', '-f', 'json', '--env-keys']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apply only to -f k8s-secret');
  });
});

describe('export -f github-output', () => {
  it('appends heredoc outputs to a private GITHUB_OUTPUT the runner reads back; --mask prints add-mask lines', async () => {
    const file = join(h.dir, 'github_output');
    writeFileSync(file, 'earlier=1\n', { mode: 0o600 });
    const r = await h.run(['export', 'app.*', 'multi.pem', '--strip-prefix', 'app.', '-f', 'github-output', '--mask', '-o', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseGithubEnvFile(readFileSync(file, 'utf8'))).toEqual({ earlier: '1', DB_URL: VALUES[0]?.[1], TOKEN: VALUES[1]?.[1], EMPTY: '', MULTI_PEM: '-----BEGIN-----\nabc\n-----END-----\n' });
    expect(addMaskValues(r.stdout).sort()).toEqual([VALUES[0]?.[1], VALUES[1]?.[1], '-----BEGIN-----', 'abc', '-----END-----'].sort());
  });
});

describe('export -o', () => {
  it('to a FIFO of your own closed to others writes through without changing its mode', async () => {
    expect((await h.run(['put', 'fifo.secret', 'v'])).code).toBe(0);
    const fifo = join(h.home, '..', 'out.fifo');
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    const chunks: Buffer[] = [];
    const reader = createReadStream(fifo);
    reader.on('data', (c) => chunks.push(c as Buffer));
    const closed = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    const r = await h.run(['export', 'fifo.secret', '-f', 'dotenv', '-o', fifo]);
    await closed;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe("FIFO_SECRET='v'\n");
    expect(statSync(fifo).mode & 0o777).toBe(0o600);
  });
});
