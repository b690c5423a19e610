/**
 * Where `-o` may write (src/cli/output-file.ts, one implementation for export, inject and backup):
 * `-o -` and `-o /dev/stdout` are standard output; a FIFO or file planted by another user is
 * refused; a `container:` job's `$GITHUB_ENV` (owned by the runner user, in that user's directory,
 * the step running as root) is appended to; `--mask` never puts `::add-mask::` lines into the data.
 * Run as root here, so "another user" is a chown to uid 1001 (the GitHub runner's) or 4242.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGithubEnvFile } from '../helpers/github-runner.js';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN } from '../helpers/run-cli.js';

const h = inProcessHome();
const asRoot = process.geteuid?.() === 0;

beforeAll(async () => {
  expect((await h.run(['put', 'out.pw', 's3cr3t-value'])).code).toBe(0);
  writeFileSync(join(h.dir, 'tpl'), 'pw={{ keystash:out.pw }}\n');
});
afterAll(() => h.cleanup());

/** Start `cat FIFO` (bounded by `timeout`); `stop` returns what it read. */
function readFifo(fifo: string): { stop: () => Promise<string> } {
  const cat = spawn('timeout', ['20', 'cat', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  const chunks: Buffer[] = [];
  cat.stdout.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => cat.on('close', () => resolve()));
  return {
    stop: async () => {
      // End the reader: open the FIFO's writing end and close it, so cat reads whatever was
      // written, then sees end of file. Non-blocking, the open fails (ENXIO) while no reader has
      // it open: cat not started yet (try again: else it would open the FIFO later and wait for a
      // writer until `timeout` ends it, 20 s) or cat gone already.
      for (;;) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
          if (cat.exitCode !== null || cat.signalCode !== null) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      await done;
      return Buffer.concat(chunks).toString();
    },
  };
}

describe('-o - and -o /dev/stdout are standard output', () => {
  it.each([['-'], ['/dev/stdout']])('export, inject and backup with -o %s print to stdout and create no file', async (target) => {
    const exported = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', target]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe("OUT_PW='s3cr3t-value'\n");
    const injected = await h.run(['inject', '-i', join(h.dir, 'tpl'), '-o', target]);
    expect(injected.code).toBe(0);
    expect(injected.stdout).toBe('pw=s3cr3t-value\n');
    const backup = await h.run(['backup', '-o', target]);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain('"name":"out.pw"');
    expect(backup.stderr).toBe('');
    expect(existsSync(join(process.cwd(), '-'))).toBe(false);
  });
});

describe.runIf(asRoot)('a FIFO at the target', () => {
  it.each([
    ['export -f dotenv', ['export', 'out.pw', '-f', 'dotenv', '-o']],
    ['inject', ['inject', '-i', '__TPL__', '-o']],
    ['export -f github-env (append)', ['export', 'out.pw', '-f', 'github-env', '-o']],
  ])('planted by another user receives nothing from %s (exit 2)', async (_label, argv) => {
    const fifo = join(h.dir, `planted-${Math.random().toString(36).slice(2)}.fifo`);
    expect(spawnSync('mkfifo', ['-m', '600', fifo]).status).toBe(0);
    chownSync(fifo, 1001, 1001);
    const reader = readFifo(fifo);
    const r = await h.run([...argv.map((a) => (a === '__TPL__' ? join(h.dir, 'tpl') : a)), fifo]);
    expect(await reader.stop()).toBe('');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refusing to write ${fifo}: it is a FIFO that belongs to another user (uid 1001)`);
    expect(r.stderr).not.toContain('s3cr3t');
  });

  it('of your own that others can open is refused; closed to them, it is written through, mode unchanged', async () => {
    const fifo = join(h.dir, 'own.fifo');
    expect(spawnSync('mkfifo', ['-m', '644', fifo]).status).toBe(0);
    const refused = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', fifo]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`it is a FIFO other users can open (mode 0644); run: chmod 600 ${fifo}`);
    chmodSync(fifo, 0o600);
    const reader = readFifo(fifo);
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', fifo]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await reader.stop()).toBe("OUT_PW='s3cr3t-value'\n");
    expect(statSync(fifo).mode & 0o777).toBe(0o600);
  });

  it('a device of root (/dev/null) is written through', async () => {
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', '/dev/null']);
    expect(r.code).toBe(0);
  });
});

describe('-o a Unix socket', () => {
  it('is refused by name, nothing sent (exit 2)', async () => {
    const path = join(h.dir, 'listener.sock');
    const received: Buffer[] = [];
    const server = createServer((socket) => socket.on('data', (d: Buffer) => received.push(d)));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`refusing to write ${path}: it is a socket`);
      expect(Buffer.concat(received).toString()).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('-o /dev/stderr is not a file', () => {
  it.each([['/dev/stderr'], ['/dev/fd/2']])('-o %s is refused with what to do instead, nothing written (exit 2)', async (target) => {
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', target]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('never to standard error');
    expect(r.stderr).not.toContain('s3cr3t');
  });
});

describe('the directory of the file: closed to other users, or sticky like /tmp', () => {
  const dirOf = (mode: number, owner?: number) => {
    const dir = join(h.dir, `outdir-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    if (owner !== undefined) chownSync(dir, owner, owner);
    return dir;
  };
  const formats = [['dotenv'], ['github-env']] as const; // replaced, appended

  it.each(formats)('-f %s: a directory others can write without the sticky bit is refused, nothing created (exit 2)', async (format) => {
    const dir = dirOf(0o777);
    const r = await h.run(['export', 'out.pw', '-f', format, '-o', join(dir, 'out.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(mode 0777, not sticky) and could replace');
    expect(existsSync(join(dir, 'out.env'))).toBe(false);
  });

  it.each(formats)('-f %s: a sticky directory others can write (/tmp) and one of your own are written', async (format) => {
    for (const dir of [dirOf(0o1777), dirOf(0o700)]) {
      const r = await h.run(['export', 'out.pw', '-f', format, '-o', join(dir, 'out.env')]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out.env'), 'utf8')).toContain('s3cr3t-value');
    }
  });

  it.runIf(asRoot).each(formats)('-f %s as root: a directory of another user (uid 1001, 0755) is refused, nothing created', async (format) => {
    const dir = dirOf(0o755, 1001);
    const r = await h.run(['export', 'out.pw', '-f', format, '-o', join(dir, 'out.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('belongs to another user (uid 1001), who could replace');
    expect(existsSync(join(dir, 'out.env'))).toBe(false);
  });
});

describe('every directory on the way to the file, links resolved', () => {
  const fresh = (name: string) => join(h.dir, `${name}-${Math.random().toString(36).slice(2)}`);

  it('a private directory below one others can write (no sticky bit) is refused: they could swap it', async () => {
    const open = fresh('open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const mine = join(open, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', join(mine, 'out.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`other users can write ${open} (mode 0777, not sticky)`);
    expect(existsSync(join(mine, 'out.env'))).toBe(false);
  });

  it('a symbolic link to a directory others can write is judged by where it leads, nothing created', async () => {
    const open = fresh('open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const link = fresh('link');
    symlinkSync(open, link);
    const r = await h.run(['export', 'out.pw', '-f', 'github-env', '-o', join(link, 'out.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`other users can write ${open}`);
    expect(existsSync(join(open, 'out.env'))).toBe(false);
  });

  it('a symbolic link to a private directory is followed once: the file lands in that directory, 0600', async () => {
    const mine = fresh('mine');
    mkdirSync(mine, { mode: 0o700 });
    const link = fresh('link');
    symlinkSync(mine, link);
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', join(link, 'out.env')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(mine, 'out.env'), 'utf8')).toContain('s3cr3t-value');
    expect(statSync(join(mine, 'out.env')).mode & 0o777).toBe(0o600);
  });

  it('a directory that does not exist is named without a stack trace (exit 2)', async () => {
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', join(fresh('missing'), 'out.env')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not exist');
    expect(r.stderr).not.toContain('    at ');
  });
});

describe("keystash's own files are never an output", () => {
  it.each([
    ['export', ['export', 'out.pw', '-f', 'dotenv', '-o'], 'keyring.json'],
    ['export -f github-env', ['export', 'out.pw', '-f', 'github-env', '-o'], 'store.db'],
    ['backup', ['backup', '-o'], 'store.db'],
    ['inject', ['inject', '-i', join(h.dir, 'tpl'), '-o'], 'keyring.json'],
  ])('%s -o into the data directory is refused, keyring and store untouched, the secret still readable', async (_, args, file) => {
    const before = readFileSync(join(h.home, file));
    const r = await h.run([...args, join(h.home, file)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("it is in keystash's data directory");
    expect(readFileSync(join(h.home, file)).equals(before)).toBe(true);
    expect((await h.run(['get', 'out.pw'])).stdout).toBe('s3cr3t-value\n');
  });

  const canUnshare = asRoot && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
  it.runIf(canUnshare)('also through a bind mount of the data directory (another name, same directory)', () => {
    const mountPoint = join(h.dir, 'bind-point');
    mkdirSync(mountPoint, { mode: 0o700 });
    const script = `mount --bind "$1" "$2" && exec "$3" "$4" backup -o "$2/keyring.json"`;
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', h.home, mountPoint, process.execPath, BIN], {
      env: { PATH: process.env.PATH ?? '', HOME: h.dir, KEYSTASH_HOME: h.home },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("it is in keystash's data directory");
    expect(JSON.parse(readFileSync(join(h.home, 'keyring.json'), 'utf8'))).toBeTypeOf('object');
  });

  it('also through a symbolic link to the data directory, and for a new file there', async () => {
    const link = join(h.dir, 'data-link');
    symlinkSync(h.home, link);
    for (const target of [join(link, 'keyring.json'), join(h.home, 'new.env')]) {
      const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', target]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("it is in keystash's data directory");
    }
    expect(existsSync(join(h.home, 'new.env'))).toBe(false);
  });
});

describe.runIf(asRoot)('a container job: $GITHUB_ENV of the runner user, the step as root', () => {
  const runnerDir = (mode: number, owner = 1001) => {
    const dir = join(h.dir, `file_commands-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { mode });
    chmodSync(dir, mode);
    chownSync(dir, owner, owner);
    const file = join(dir, 'set_env_1');
    writeFileSync(file, 'EARLIER=1\n', { mode: 0o600 });
    chownSync(file, 1001, 1001);
    return file;
  };

  it('appends to a private file of uid 1001 in its own directory, owner and mode unchanged', async () => {
    const file = runnerDir(0o755);
    const r = await h.run(['export', 'out.pw', '-f', 'github-env', '-o', file], { env: { GITHUB_ENV: file } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseGithubEnvFile(readFileSync(file, 'utf8'))).toEqual({ EARLIER: '1', OUT_PW: 's3cr3t-value' });
    expect(statSync(file).uid).toBe(1001);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses it when others can read it, when a third party owns the directory or others can write it', async () => {
    const readable = runnerDir(0o755);
    chmodSync(readable, 0o644);
    const planted = runnerDir(0o1777, 0); // like /tmp: root's directory, uid 1001's file
    const openDir = runnerDir(0o777);
    for (const [file, message] of [
      [readable, 'other users can access it (mode 0644)'],
      [planted, 'it belongs to another user (uid 1001)'],
      [openDir, 'it belongs to another user (uid 1001)'],
    ] as const) {
      const r = await h.run(['export', 'out.pw', '-f', 'github-env', '-o', file], { env: { GITHUB_ENV: file } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(readFileSync(file, 'utf8')).toBe('EARLIER=1\n');
    }
  });

  it('refuses another user\'s file the runner did not name: one planted in that user\'s own directory under /tmp', async () => {
    // The shape of a container job's $GITHUB_ENV (a private file of uid 1001 in a 0755 directory
    // of uid 1001), but $GITHUB_ENV names another file, or nothing: appending as root would hand
    // uid 1001 the secrets.
    const planted = runnerDir(0o755);
    const real = runnerDir(0o755);
    for (const env of [{}, { GITHUB_ENV: real }, { GITHUB_OUTPUT: join(h.dir, 'no-such-file') }]) {
      const r = await h.run(['export', 'out.pw', '-f', 'github-env', '-o', planted], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('it belongs to another user (uid 1001)');
      expect(readFileSync(planted, 'utf8')).toBe('EARLIER=1\n');
    }
    // The same file reached through $GITHUB_OUTPUT (same inode) is the runner's: appended.
    const r = await h.run(['export', 'out.pw', '-f', 'github-output', '-o', planted], { env: { GITHUB_OUTPUT: planted } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(planted, 'utf8')).toContain('OUT_PW<<');
    expect(readFileSync(real, 'utf8')).toBe('EARLIER=1\n');
  });

  it('never replaces a file of another user (formats that are not appended)', async () => {
    const file = runnerDir(0o755);
    const r = await h.run(['export', 'out.pw', '-f', 'dotenv', '-o', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('it belongs to another user (uid 1001)');
    expect(readFileSync(file, 'utf8')).toBe('EARLIER=1\n');
  });
});

describe('appending to a file whose last line has no line break', () => {
  it.each([['github-env'], ['github-output']])('-f %s starts on a new line: the value\'s lines stay inside the value', async (format) => {
    expect((await h.run(['put', 'ml.value', 'line one\nINJECTED=evil\nline three'])).code).toBe(0);
    const file = join(h.dir, `open_line_${format}`);
    writeFileSync(file, 'FOO=bar', { mode: 0o600 });
    const r = await h.run(['export', 'ml.value', '-f', format, '-o', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseGithubEnvFile(readFileSync(file, 'utf8'))).toEqual({ FOO: 'bar', ML_VALUE: 'line one\nINJECTED=evil\nline three' });
  });

  it('a file that ends in a line break, or is empty, gets no extra line', async () => {
    const file = join(h.dir, 'closed_line');
    writeFileSync(file, 'FOO=bar\n', { mode: 0o600 });
    expect((await h.run(['export', 'out.pw', '-f', 'github-env', '-o', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^FOO=bar\nOUT_PW[^\n]/);
    const empty = join(h.dir, 'empty_file');
    writeFileSync(empty, '', { mode: 0o600 });
    expect((await h.run(['export', 'out.pw', '-f', 'github-env', '-o', empty])).code).toBe(0);
    expect(readFileSync(empty, 'utf8')).toMatch(/^OUT_PW[^\n]/);
    expect(parseGithubEnvFile(readFileSync(empty, 'utf8'))).toEqual({ OUT_PW: 's3cr3t-value' });
  });
});

describe('--mask never writes the values into the data', () => {
  it.each([['github-env'], ['github-output']])('-f %s --mask with the data on stdout is refused, nothing printed (exit 2)', async (format) => {
    for (const extra of [[], ['-o', '-']]) {
      const r = await h.run(['export', 'out.pw', '-f', format, '--mask', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('--mask needs -o FILE');
      expect(r.stderr).not.toContain('s3cr3t');
    }
  });

  it('with -o FILE the add-mask lines go to stdout and the file holds only variables', async () => {
    const file = join(h.dir, 'github_env_mask');
    writeFileSync(file, '', { mode: 0o600 });
    const r = await h.run(['export', 'out.pw', '-f', 'github-env', '--mask', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('::add-mask::s3cr3t-value\n');
    expect(readFileSync(file, 'utf8')).not.toContain('::add-mask::');
  });
});

describe('export --strict', () => {
  it('fails when a glob matches nothing, writing nothing; without it the glob is empty', async () => {
    const strict = await h.run(['export', 'out.*', 'typo.*', '-f', 'dotenv', '--strict']);
    expect(strict.code).toBe(3);
    expect(strict.stdout).toBe('');
    expect(strict.stderr).toContain('typo.*');
    const loose = await h.run(['export', 'out.*', 'typo.*', '-f', 'dotenv']);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toBe("OUT_PW='s3cr3t-value'\n");
  });
});
