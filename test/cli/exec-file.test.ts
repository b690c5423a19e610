/**
 * `exec --file VAR=name[@version]` with the built CLI: the value in a 0600 file inside a fresh
 * 0700 directory, VAR holding its path, and nothing left once keystash ends — normally, with a
 * failing command, or killed by SIGINT/SIGTERM mid-run. TMPDIR points at a per-test directory so
 * "nothing left" is checked exactly.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_SIGNALS } from '../../src/cli/signals.js';
import { inProcessOn } from '../helpers/in-process.js';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
const local = inProcessOn(h);
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user: {token: "t0k3n-ab12"}\n';
const tmp = join(h.home, '..', 'tmp');

beforeAll(async () => {
  mkdirSync(tmp);
  expect((await local(['put', 'k8s.kubeconfig', '-'], { input: KUBECONFIG })).code).toBe(0);
  expect((await local(['put', 'tls/key', 'v1-key'])).code).toBe(0);
  expect((await local(['put', 'tls/key', 'v2-key'])).code).toBe(0);
});
afterAll(() => h.cleanup());

// Reports, for each variable named on its command line, the path, the file's content and the
// modes of the file and its directory.
const INSPECT = `
const fs = require('fs'), path = require('path');
const out = {};
for (const v of process.argv.slice(1)) {
  const p = process.env[v];
  out[v] = { path: p, content: fs.readFileSync(p, 'utf8'), mode: (fs.statSync(p).mode & 0o777).toString(8), dirMode: (fs.statSync(path.dirname(p)).mode & 0o777).toString(8) };
}
process.stdout.write(JSON.stringify(out));
`;

describe('exec --file', () => {
  it('writes each value to a 0600 file in a 0700 directory, VAR = its path, all removed afterwards', async () => {
    const r = await h.run(['exec', '--file', 'KUBECONFIG=k8s.kubeconfig', '--file', 'KEY=tls/key@1', '--file', 'KEY2=tls/key', '--', process.execPath, '-e', INSPECT, 'KUBECONFIG', 'KEY', 'KEY2'], { env: { TMPDIR: tmp } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const seen = JSON.parse(r.stdout) as Record<string, { path: string; content: string; mode: string; dirMode: string }>;
    expect(seen.KUBECONFIG?.content).toBe(KUBECONFIG);
    expect(seen.KEY?.content).toBe('v1-key');
    expect(seen.KEY2?.content).toBe('v2-key');
    for (const file of Object.values(seen)) {
      expect(file.mode).toBe('600');
      expect(file.dirMode).toBe('700');
      expect(file.path.startsWith(`${tmp}/keystash-files-`)).toBe(true);
      expect(existsSync(file.path)).toBe(false);
    }
    expect(seen.KEY?.path).not.toBe(seen.KEY2?.path);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('removes the files when the command fails, and writes none on a usage error or missing secret', async () => {
    const failing = await h.run(['exec', '--file', 'F=k8s.kubeconfig', '--', process.execPath, '-e', 'process.exit(5)'], { env: { TMPDIR: tmp } });
    expect(failing.code).toBe(5);
    const clash = await h.run(['exec', '--file', 'F=k8s.kubeconfig', '--env', 'F=tls/key', '--', 'true'], { env: { TMPDIR: tmp } });
    expect(clash.code).toBe(2);
    const missing = await h.run(['exec', '--file', 'F=no.such', '--', 'true'], { env: { TMPDIR: tmp } });
    expect(missing.code).toBe(3);
    const bad = await h.run(['exec', '--file', '1F=k8s.kubeconfig', '--', 'true'], { env: { TMPDIR: tmp } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--file: the variable name given (not shown, in case it is the secret) is not a valid environment variable name');
    expect(readdirSync(tmp)).toEqual([]);
  });

  // Every signal exec forwards (SIGWINCH aside: it does not end the child, so the files stay, as
  // they should, until the child ends). The child is a shell that execs sleep: each of these ends it.
  it.each(FORWARDED_SIGNALS.filter((s) => s !== 'SIGWINCH').map((s) => [s]))('leaves nothing behind and ends the child when keystash gets %s mid-run', async (signal) => {
    const ready = join(h.home, '..', `ready-${signal}`);
    const script = `printf '%s\\n%s' "$F" "$$" > ${JSON.stringify(`${ready}.tmp`)} && mv ${JSON.stringify(`${ready}.tmp`)} ${JSON.stringify(ready)}; exec sleep 30`;
    // detached: keystash in a session of its own, never a terminal's foreground group (signals.ts).
    const child = spawn(process.execPath, [BIN, 'exec', '--file', 'F=k8s.kubeconfig', '--', 'sh', '-c', script], {
      env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home, TMPDIR: tmp }),
      stdio: 'ignore',
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let grandchild = 0;
    try {
      const deadline = Date.now() + 20_000;
      while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const [path = '', pid = '0'] = readFileSync(ready, 'utf8').split('\n');
      grandchild = Number(pid);
      expect(readFileSync(path, 'utf8')).toBe(KUBECONFIG);
      child.kill(signal);
      expect(await exited).toBe(128 + (constants.signals[signal] ?? 0));
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      if (grandchild > 0) {
        try {
          process.kill(grandchild, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
});

describe('exec --file: the files go only where other users cannot reach', () => {
  const dirOf = (name: string, mode: number) => {
    const dir = join(h.home, '..', `${name}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  };
  const PRINT_PATH = 'process.stdout.write(process.env.F)';

  it('a TMPDIR others can write (no sticky bit), or a link to one, is refused: exit 9, child not run, nothing written', async () => {
    const open = dirOf('open-tmp', 0o777);
    const link = join(h.home, '..', `link-${Math.random().toString(36).slice(2)}`);
    symlinkSync(open, link);
    for (const tmpDir of [open, link]) {
      const r = await h.run(['exec', '--file', 'F=k8s.kubeconfig', '--', process.execPath, '-e', PRINT_PATH], { env: { TMPDIR: tmpDir } });
      expect(r.code).toBe(9);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`other users can write ${open} (mode 0777, not sticky)`);
      expect(r.stderr).toContain('set TMPDIR to a directory of your own');
      expect(r.stderr).not.toContain('t0k3n');
      expect(readdirSync(open)).toEqual([]);
    }
  });

  it('an XDG_RUNTIME_DIR others can write is passed over for a private TMPDIR', async () => {
    const open = dirOf('open-run', 0o777);
    const r = await h.run(['exec', '--file', 'F=k8s.kubeconfig', '--', process.execPath, '-e', PRINT_PATH], { env: { TMPDIR: tmp, XDG_RUNTIME_DIR: open } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${tmp}/keystash-files-`)).toBe(true);
    expect(readdirSync(open)).toEqual([]);
  });
});
