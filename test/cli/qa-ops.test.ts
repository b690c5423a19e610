/**
 * What CI pipelines and ops scripts hit: import files from Windows editors (BOM, CRLF), names given
 * twice in JSON, `export -o` to something that is not a regular file, and large values.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
afterAll(() => h.cleanup());
const file = (name: string, content: string | Buffer): string => {
  const path = join(h.home, '..', name);
  writeFileSync(path, content);
  return path;
};

describe('import files as Windows tools write them', () => {
  it('a dotenv file with CRLF line endings, comment lines included, imports', async () => {
    const path = file('crlf.env', '# database\r\nA=1\r\n\r\n  # indented comment\r\nexport B="two"\r\nC=\'three\' # c\r\n');
    const r = await h.run(['import', path, '--dry-run', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { name: string }) => x.name)).toEqual(['A', 'B', 'C']);
  });

  it.each([
    ['bom.env', 'A=1\nB=2\n', ['A', 'B']],
    ['bom.json', '{"a": "1", "b": "2"}', ['a', 'b']],
    ['bom.yaml', 'a: "1"\nb: "2"\n', ['a', 'b']],
    ['bom-sniffed', 'A=1\n', ['A']],
  ])('%s with a UTF-8 byte order mark imports like the same file without it', async (name, content, names) => {
    const path = file(name, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(content)]));
    const r = await h.run(['import', path, '--dry-run', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { name: string }) => x.name)).toEqual(names);
  });
});

describe('a name given twice in JSON is refused, like YAML and dotenv (never silently last-wins)', () => {
  it('import FILE.json names the line and writes nothing', async () => {
    const path = file('dup.json', '{\n  "db.pw": "first",\n  "nested": "{\\"db.pw\\": 1}",\n  "db.pw": "second"\n}\n');
    const r = await h.run(['import', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('line 4');
    expect(r.stderr).toContain('"db.pw" is given twice');
    expect((await h.run(['get', 'db.pw'])).code).toBe(3);
  });

  it('putall and escaped spellings of one name too; equal strings at other depths are fine', async () => {
    const r = await h.run(['putall', '-'], { input: '{"a\\u002eb": "1", "a.b": "2"}' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"a.b" is given twice');
    const ok = await h.run(['putall', '{"x": "x", "y": "x : \\"x\\""}', '--dry-run']);
    expect(ok.stderr).toContain('would add 2');
    expect(ok.code).toBe(0);
  });
});

describe('export -o', () => {
  it('to a FIFO (like /dev/stdout or /dev/null) writes through without changing its mode', async () => {
    expect((await h.run(['put', 'fifo.secret', 'v'])).code).toBe(0);
    const fifo = join(h.home, '..', 'out.fifo');
    expect(spawnSync('mkfifo', ['-m', '644', fifo]).status).toBe(0);
    const chunks: Buffer[] = [];
    const reader = createReadStream(fifo);
    reader.on('data', (c) => chunks.push(c as Buffer));
    const closed = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    const r = await h.run(['export', 'fifo.secret', '-f', 'dotenv', '-o', fifo]);
    await closed;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Buffer.concat(chunks).toString()).toBe("FIFO_SECRET='v'\n");
    expect(statSync(fifo).mode & 0o777).toBe(0o644);
  });
});

describe('large values', () => {
  it('a 4 MB secret stored locally reads back (it overflowed the stack in the base64 check)', async () => {
    const value = 'x'.repeat(4_000_000);
    expect((await h.run(['put', 'big.value', '-'], { input: value })).code).toBe(0);
    const r = await h.run(['get', 'big.value', '-n']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(value.length);
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
