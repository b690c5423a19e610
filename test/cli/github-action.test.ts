/**
 * The composite action (action.yml): its steps' `run` scripts executed as the runner executes a
 * composite step (`bash --noprofile --norc -eo pipefail FILE`, step `env` with `${{ inputs.X }}`
 * substituted from the given inputs or the declared defaults), with temporary GITHUB_ENV and
 * GITHUB_OUTPUT files read back by the port of the runner's file-command parser. `keystash` on PATH
 * is this checkout's bundle; `npm` is a stub that records its arguments.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMaskValues, parseGithubEnvFile } from '../helpers/github-runner.js';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN, cleanEnv } from '../helpers/run-cli.js';

interface Step {
  name: string;
  id?: string;
  if?: string;
  shell: string;
  env: Record<string, string>;
  run: string;
}
interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: Step[] };
}

const ROOT = resolve(import.meta.dirname, '../..');
const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;
const h = inProcessHome();
const dir = join(h.home, '..');
const PEM = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----';

beforeAll(async () => {
  for (const [name, value] of [['ci.db-url', 'postgres://ci:p%40ss@db/ci'], ['ci.tls-key', PEM], ['other.x', 'not-selected']]) {
    expect((await h.run(['put', name ?? '', '-'], { input: value })).code).toBe(0);
  }
  writeFileSync(join(dir, 'keystash'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${join(dir, 'npm-args')}"\n`, { mode: 0o755 });
});
afterAll(() => h.cleanup());

/** Run one step as the runner would; returns its stdout, exit status and the two files' contents. */
function runStep(step: Step, inputs: Record<string, string>): { status: number | null; stdout: string; stderr: string; githubEnv: string; githubOutput: string } {
  const githubEnv = join(dir, 'github_env');
  const githubOutput = join(dir, 'github_output');
  for (const file of [githubEnv, githubOutput]) writeFileSync(file, '', { mode: 0o644 });
  chmodSync(githubEnv, 0o644); // as a runner may create it; the step must make it private
  const stepEnv: Record<string, string> = {};
  for (const [key, expression] of Object.entries(step.env ?? {})) {
    const input = /^\$\{\{ inputs\.([-\w]+) \}\}$/.exec(expression)?.[1];
    if (input === undefined) throw new Error(`step env ${key} is not a plain input reference: ${expression}`);
    stepEnv[key] = inputs[input] ?? action.inputs[input]?.default ?? '';
  }
  const script = join(dir, 'step.sh');
  writeFileSync(script, step.run);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    env: cleanEnv({
      HOME: dir,
      KEYSTASH_HOME: h.home,
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      GITHUB_ENV: githubEnv,
      GITHUB_OUTPUT: githubOutput,
      GITHUB_ACTION_PATH: ROOT,
      ...stepEnv,
    }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, githubEnv: readFileSync(githubEnv, 'utf8'), githubOutput: readFileSync(githubOutput, 'utf8') };
}

const step = (id: string): Step => {
  const found = action.runs.steps.find((s) => s.id === id || s.name === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
};

describe('action.yml', () => {
  it('is a composite action with bash steps and a required secrets input', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.inputs.secrets?.required).toBe(true);
    expect(action.inputs.mask?.default).toBe('true');
    for (const s of action.runs.steps) expect(s.shell).toBe('bash');
  });

  it('exports the selected secrets to GITHUB_ENV, masked by default, the file made private', () => {
    const r = runStep(step('export'), { secrets: "ci.*\n", 'strip-prefix': 'ci.' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(parseGithubEnvFile(r.githubEnv)).toEqual({ DB_URL: 'postgres://ci:p%40ss@db/ci', TLS_KEY: PEM });
    expect(r.githubOutput).toBe('');
    expect(addMaskValues(r.stdout).sort()).toEqual(['-----BEGIN KEY-----', '-----END KEY-----', 'MIIBOgIBAAJBAKj34GkxFhD9', 'postgres://ci:p%40ss@db/ci'].sort());
    expect(statSync(join(dir, 'github_env')).mode & 0o777).toBe(0o600);
  });

  it("mask: 'false' registers nothing; a missing secret fails the step and writes nothing", () => {
    const unmasked = runStep(step('export'), { secrets: 'ci.db-url other.x', mask: 'false' });
    expect(unmasked.status).toBe(0);
    expect(unmasked.stdout).toBe('');
    expect(parseGithubEnvFile(unmasked.githubEnv)).toEqual({ CI_DB_URL: 'postgres://ci:p%40ss@db/ci', OTHER_X: 'not-selected' });
    const missing = runStep(step('export'), { secrets: 'ci.db-url no.such' });
    expect(missing.status).toBe(3);
    expect(missing.githubEnv).toBe('');
    expect(missing.stdout).toBe('');
  });

  it('a selected secret that would set LESSOPEN, NODE_COMPILE_CACHE or GITHUB_PATH fails the step and writes nothing (issue 24)', async () => {
    for (const [name, value] of [['ci2.lessopen', '|/tmp/x %s'], ['ci2.node_compile_cache', '/tmp/planted'], ['ci2.github_path', '/tmp/bin'], ['ci2.token', 't0k']]) {
      expect((await h.run(['put', name ?? '', '-'], { input: value })).code).toBe(0);
    }
    const r = runStep(step('export'), { secrets: 'ci2.*', 'strip-prefix': 'ci2.' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^keystash: error: secret "ci2\.[a-z_]+" would set (LESSOPEN|NODE_COMPILE_CACHE|GITHUB_PATH), which changes how programs load or run/);
    expect(r.githubEnv).toBe('');
    expect(r.stdout).toBe('');
    for (const name of ['ci2.lessopen', 'ci2.node_compile_cache', 'ci2.github_path']) {
      const one = runStep(step('export'), { secrets: `${name} ci2.token`, 'strip-prefix': 'ci2.' });
      expect(one.status, name).toBe(2);
      expect(one.githubEnv).toBe('');
    }
  });

  it("the install step installs this action's version with npm, or the one asked for", () => {
    const install = step('Install keystash');
    expect(install.if).toBe("inputs.install == 'true'");
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(runStep(install, {}).status).toBe(0);
    expect(readFileSync(join(dir, 'npm-args'), 'utf8')).toBe(`install\n--global\n--no-audit\n--no-fund\nkeystash@${version}\n`);
    expect(runStep(install, { version: '9.9.9' }).status).toBe(0);
    expect(readFileSync(join(dir, 'npm-args'), 'utf8')).toContain('keystash@9.9.9\n');
  });
});
