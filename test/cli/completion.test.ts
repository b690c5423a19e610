/** `keystash completion bash|zsh|fish` lists the program's commands and options. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
afterAll(() => h.cleanup());

describe('completion', () => {
  it('bash: completes command names and a command\'s options in a real bash', async () => {
    const r = await h.run(['completion', 'bash']);
    expect(r.code).toBe(0);
    const file = join(h.home, '..', 'completion.bash');
    writeFileSync(file, r.stdout);
    const complete = (words: string[]) =>
      spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _keystash; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).stdout.trim();
    expect(complete(['keystash', 'ex'])).toBe('exec export');
    expect(complete(['keystash', 'exec', '--pr'])).toBe('--pristine');
    expect(complete(['keystash', 'res'])).toBe('restore');
  });

  it('bash: skips the value of a global option and completes kms subcommands and their options', async () => {
    const file = join(h.home, '..', 'completion-kms.bash');
    writeFileSync(file, (await h.run(['completion', 'bash'])).stdout);
    const complete = (words: string[]) =>
      spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _keystash; echo "\${COMPREPLY[*]}"`], { encoding: 'utf8' }).stdout.trim();
    expect(complete(['keystash', '-t', 'prod', 'get', '--n'])).toBe('--noline');
    expect(complete(['keystash', '--region', 'eu-west-1', '--debug', 'exec', '--pr'])).toBe('--pristine');
    expect(complete(['keystash', 'kms', 'cr'])).toBe('create-key');
    expect(complete(['keystash', '-t', 'x', 'kms', 'create-key', '--al'])).toBe('--alias');
    expect(complete(['keystash', 'kms', 'serve', '--po'])).toBe('--port');
  });

  it('zsh and fish scripts know kms subcommands and global options with values', async () => {
    const zsh = (await h.run(['completion', 'zsh'])).stdout;
    const fish = (await h.run(['completion', 'fish'])).stdout;
    expect(zsh).toContain(`("kms create-key") compadd -- '--alias'`);
    expect(zsh).toMatch(/\(--backend\|[^)]*\|-t\|--table\|[^)]*\) \(\( i\+\+ \)\)/);
    expect(fish).toContain("complete -c keystash -n '__fish_seen_subcommand_from kms' -a create-key");
    expect(fish).toContain('complete -c keystash -l table -r');
  });

  it('zsh and fish scripts name every command of the program', async () => {
    const help = (await h.run(['--help'])).stdout;
    const commands = [...(help.split('Commands:')[1] ?? '').matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1] ?? '').filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['exec', 'export', 'import', 'putall', 'backup', 'restore', 'completion']));
    const zsh = (await h.run(['completion', 'zsh'])).stdout;
    const fish = (await h.run(['completion', 'fish'])).stdout;
    for (const c of commands) {
      expect(zsh).toContain(`'${c}:`);
      expect(fish).toContain(`-a ${c} `);
    }
    expect((await h.run(['completion', 'tcsh'])).code).toBe(2);
  });
});
