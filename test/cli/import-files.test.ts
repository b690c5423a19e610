/**
 * `import` and `putall` of files as CI pipelines and editors write them: Windows line endings and
 * byte order marks import, and a name given twice in JSON is refused (never silently last-wins).
 * In-process against a temporary home.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
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
