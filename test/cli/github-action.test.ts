/**
 * The composite action (action.yml), its steps run as the runner runs a composite step
 * (test/helpers/github-runner.ts `CompositeJob`: step env from inputs and earlier steps' outputs,
 * per-step GITHUB_ENV / GITHUB_OUTPUT / GITHUB_PATH files, a `container:` job's uid mismatch).
 * `keystash` on PATH is this checkout's bundle. The install step itself: github-action-install.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMaskValues, CompositeJob, parseGithubEnvFile, type CompositeAction } from '../helpers/github-runner.js';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN, cleanEnv } from '../helpers/run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as CompositeAction;
const h = inProcessHome();
const dir = join(h.home, '..');
const PEM = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----';
const asRoot = process.geteuid?.() === 0;

beforeAll(async () => {
  for (const [name, value] of [['ci.db-url', 'postgres://ci:p%40ss@db/ci'], ['ci.tls-key', PEM], ['other.x', 'not-selected'], ['other.db-url', 'other-url'], ['tools.path', '/opt/tools/bin']]) {
    expect((await h.run(['put', name ?? '', '-'], { input: value })).code).toBe(0);
  }
  expect((await h.run(['-t', 'alt', 'put', 'ci.db-url', 'alt-table-url'])).code).toBe(0);
  writeFileSync(join(dir, 'keystash'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
});
afterAll(() => h.cleanup());

/** A job with this checkout's keystash on PATH and the test store as KEYSTASH_HOME. */
const job = (inputs: Record<string, string>, fileOwner?: number) =>
  new CompositeJob(action, inputs, {
    dir,
    actionPath: ROOT,
    env: cleanEnv({ HOME: dir, KEYSTASH_HOME: h.home, PATH: `${dir}:${process.env.PATH ?? ''}` }),
    ...(fileOwner === undefined ? {} : { fileOwner }),
  });

describe('action.yml', () => {
  it('is a composite action: bash run steps, a required secrets input, actions pinned by commit, no ${{ }} in any run script', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.secrets?.required).toBe(true);
    expect(action.inputs.mask?.default).toBe('true');
    expect(action.inputs.strict?.default).toBe('true');
    for (const s of action.runs.steps) {
      if (s.uses !== undefined) expect(s.uses).toMatch(/^[-\w]+\/[-\w]+@[0-9a-f]{40}$/);
      else expect(s.shell).toBe('bash');
      expect(s.run ?? '').not.toContain('${{');
      const commands = (s.run ?? '').split('\n').filter((line) => !line.trim().startsWith('#'));
      for (const line of commands) expect(line).not.toMatch(/\bnpm (install|i|add)\b/);
    }
  });

  it('exports the selected secrets to GITHUB_ENV, masked by default; outputs names and count', () => {
    const j = job({ secrets: 'ci.*\n', 'strip-prefix': 'ci.' });
    const r = j.run('export');
    expect(r?.stderr).toBe('');
    expect(r?.status).toBe(0);
    expect(parseGithubEnvFile(r?.githubEnv ?? '')).toEqual({ DB_URL: 'postgres://ci:p%40ss@db/ci', TLS_KEY: PEM });
    expect(addMaskValues(r?.stdout ?? '').sort()).toEqual(['-----BEGIN KEY-----', '-----END KEY-----', 'MIIBOgIBAAJBAKj34GkxFhD9', 'postgres://ci:p%40ss@db/ci'].sort());
    expect(r?.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('::add-mask::'))).toEqual([]);
    expect(j.actionOutputs()).toEqual({ names: 'DB_URL TLS_KEY', count: '2' });
  });

  it("mask: 'false' registers nothing; a missing secret fails the step and writes nothing", () => {
    const unmasked = job({ secrets: 'ci.db-url other.x', mask: 'false' }).run('export');
    expect(unmasked?.status).toBe(0);
    expect(unmasked?.stdout).toBe('');
    expect(parseGithubEnvFile(unmasked?.githubEnv ?? '')).toEqual({ CI_DB_URL: 'postgres://ci:p%40ss@db/ci', OTHER_X: 'not-selected' });
    const missing = job({ secrets: 'ci.db-url no.such' }).run('export');
    expect(missing?.status).toBe(3);
    expect(missing?.githubEnv).toBe('');
    expect(missing?.stdout).toBe('');
  });

  it('a selected secret that would set LESSOPEN, NODE_COMPILE_CACHE or GITHUB_PATH fails the step and writes nothing', async () => {
    for (const [name, value] of [['ci2.lessopen', '|/tmp/x %s'], ['ci2.node_compile_cache', '/tmp/planted'], ['ci2.github_path', '/tmp/bin'], ['ci2.token', 't0k']]) {
      expect((await h.run(['put', name ?? '', '-'], { input: value })).code).toBe(0);
    }
    const r = job({ secrets: 'ci2.*', 'strip-prefix': 'ci2.' }).run('export');
    expect(r?.status).toBe(2);
    expect(r?.stderr).toBe(
      [
        'keystash: error: 3 secrets would set variables that change how programs load or run:',
        '  secret "ci2.github_path" would set GITHUB_PATH',
        '  secret "ci2.lessopen" would set LESSOPEN',
        '  secret "ci2.node_compile_cache" would set NODE_COMPILE_CACHE',
        'map each explicitly (exec --env VAR=NAME) or allow each one you mean with --allow-env VAR',
        '',
      ].join('\n'),
    );
    expect(r?.githubEnv).toBe('');
    expect(r?.stdout).toBe('');
    for (const name of ['ci2.lessopen', 'ci2.node_compile_cache', 'ci2.github_path']) {
      const one = job({ secrets: `${name} ci2.token`, 'strip-prefix': 'ci2.' }).run('export');
      expect(one?.status, name).toBe(2);
      expect(one?.githubEnv).toBe('');
    }
  });

  it("strict (the default) fails when a glob matches nothing; strict: 'false' exports what matches", () => {
    const strict = job({ secrets: 'ci.* typo.*' }).run('export');
    expect(strict?.status).toBe(3);
    expect(strict?.githubEnv).toBe('');
    expect(strict?.stderr).toContain('typo.*');
    const loose = job({ secrets: 'ci.* typo.*', strict: 'false', mask: 'false' });
    expect(loose.run('export')?.status).toBe(0);
    expect(loose.actionOutputs()).toEqual({ names: 'CI_DB_URL CI_TLS_KEY', count: '2' });
  });

  it('a secrets input cannot add options: everything in it is a selector (after --)', () => {
    for (const secrets of ['--all', '-o /tmp/keystash-leak ci.db-url', '--format=json ci.db-url']) {
      const r = job({ secrets }).run('export');
      expect(r?.status).toBe(3);
      expect(r?.githubEnv).toBe('');
      expect(r?.stdout).toBe('');
    }
  });

  it('allow-env lets a secret set a variable that changes how programs run; override lets a later selector win', () => {
    const refused = job({ secrets: 'tools.path', 'strip-prefix': 'tools.' }).run('export');
    expect(refused?.status).toBe(2);
    expect(refused?.stderr).toContain('would set PATH');
    const allowed = job({ secrets: 'tools.path', 'strip-prefix': 'tools.', 'allow-env': 'PATH', mask: 'false' }).run('export');
    expect(allowed?.status).toBe(0);
    expect(parseGithubEnvFile(allowed?.githubEnv ?? '')).toEqual({ PATH: '/opt/tools/bin' });
    const clash = { secrets: 'other.db-url ci.db-url', 'strip-prefix': 'ci. other.', mask: 'false' };
    expect(job(clash).run('export')?.status).toBe(2);
    const overridden = job({ ...clash, override: 'true' }).run('export');
    expect(overridden?.status).toBe(0);
    expect(parseGithubEnvFile(overridden?.githubEnv ?? '')).toEqual({ DB_URL: 'postgres://ci:p%40ss@db/ci' });
  });

  it('table, backend and config reach keystash; an input value starting with - stays a value', () => {
    const alt = job({ secrets: 'ci.db-url', table: 'alt', backend: 'local', mask: 'false' }).run('export');
    expect(alt?.stderr).toBe('');
    expect(parseGithubEnvFile(alt?.githubEnv ?? '')).toEqual({ CI_DB_URL: 'alt-table-url' });
    const config = join(dir, 'keystash-config.json');
    writeFileSync(config, JSON.stringify({ table: 'alt' }));
    const viaConfig = job({ secrets: 'ci.db-url', config, mask: 'false' }).run('export');
    expect(parseGithubEnvFile(viaConfig?.githubEnv ?? '')).toEqual({ CI_DB_URL: 'alt-table-url' });
    const dash = job({ secrets: 'ci.db-url', table: '--all' }).run('export');
    expect(dash?.status).not.toBe(0);
    expect(dash?.githubEnv).toBe('');
    const badBackend = job({ secrets: 'ci.db-url', backend: 'nope' }).run('export');
    expect(badBackend?.status).toBe(2);
    expect(badBackend?.stderr).toContain("option '--backend <backend>': Allowed choices are local, aws");
  });

  it.runIf(asRoot)('works in a container: job, where GITHUB_ENV and its directory belong to the runner user (uid 1001)', () => {
    const j = job({ secrets: 'ci.*', 'strip-prefix': 'ci.' }, 1001);
    const r = j.run('export');
    expect(r?.stderr).toBe('');
    expect(r?.status).toBe(0);
    expect(parseGithubEnvFile(r?.githubEnv ?? '')).toEqual({ DB_URL: 'postgres://ci:p%40ss@db/ci', TLS_KEY: PEM });
    expect(j.actionOutputs()).toEqual({ names: 'DB_URL TLS_KEY', count: '2' });
  });
});
