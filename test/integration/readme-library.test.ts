/**
 * The README's "## Library" examples, run exactly as written: each ```js block of that section is
 * fed to `node --input-type=module` from the repository root (so `'keystash'` resolves through
 * package.json "exports" to the built dist/index.js) with a fresh KEYSTASH_HOME, and its stdout
 * must equal the ```text block printed after it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv } from '../helpers/run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The fenced blocks of the README section headed `## Library`, as [lang, body] pairs. */
function librarySectionBlocks(): Array<[lang: string, body: string]> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  expect(start, 'README has a "## Library" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']);
}

/** Each js example with the output the README says it prints. */
function examples(): Array<{ code: string; prints: string }> {
  const blocks = librarySectionBlocks();
  const out: Array<{ code: string; prints: string }> = [];
  blocks.forEach(([lang, body], i) => {
    if (lang !== 'js') return;
    const next = blocks[i + 1];
    expect(next?.[0], 'every js example is followed by a ```text block of what it prints').toBe('text');
    out.push({ code: body, prints: next?.[1] ?? '' });
  });
  return out;
}

describe('README library examples', () => {
  const found = examples();

  it('the section has the createKeystash and the Credstash examples', () => {
    expect(found).toHaveLength(2);
    expect(found[0]?.code).toContain("from 'keystash'");
    for (const call of ['createKeystash(', '.put(', '.get(', '.getAll(', '.list(', '.history(', '.delete(', 'rotateSecrets(', 'instanceof SecretNotFoundError']) {
      expect(found[0]?.code).toContain(call);
    }
    for (const call of ['new Credstash(', '.putSecret(', '.getSecret(', '.getAllSecrets(', '.getAllVersions(', '.getHighestVersion(', '.listSecrets(', '.deleteSecret(', '.deleteSecrets(']) {
      expect(found[1]?.code).toContain(call);
    }
  });

  it.each(found.map((e, i) => [i + 1, e] as const))('example %i runs as written and prints what the README says', (_n, example) => {
    const dir = mkdtempSync(join(tmpdir(), 'keystash-readme-'));
    try {
      const r = spawnSync(process.execPath, ['--input-type=module'], {
        cwd: ROOT,
        input: example.code,
        encoding: 'utf8',
        env: cleanEnv({ HOME: dir, KEYSTASH_HOME: join(dir, 'ks') }),
        timeout: 30_000,
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(example.prints);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
