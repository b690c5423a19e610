import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { CliDeps } from '../deps.js';
import { GLOBAL_OPTIONS, QUICK_GRAMMAR, type CommandGrammar } from '../grammar.js';

export function completionCommand(deps: CliDeps): Command {
  return withGrammar(new Command('completion'), COMMAND_GRAMMAR.completion)
    .description('print a shell completion script (commands and options come from this program)')
    .addHelpText('after', '\nExamples:\n  $ source <(keystash completion bash)\n  $ source <(keystash completion zsh)        # in ~/.zshrc, after compinit\n  $ keystash completion fish > ~/.config/fish/completions/keystash.fish')
    .action((shell: 'bash' | 'zsh' | 'fish', _opts: Record<string, never>, cmd: Command) => {
      const program = cmd.parent ?? cmd;
      // The commands and their descriptions are the program's; their options are the grammar's.
      const spec: Spec = {
        global: globalFlags(),
        valued: valuedFlags(),
        commands: program.commands.map((c) => ({
          name: c.name(),
          description: c.description(),
          flags: grammarFlags(c.name()),
          subcommands: c.commands.map((s) => ({ name: s.name(), description: s.description(), flags: grammarFlags(`${c.name()} ${s.name()}`) })),
        })),
      };
      deps.io.stdout.write(SCRIPTS[shell](spec));
    });
}

interface CommandSpec {
  name: string;
  description: string;
  flags: string[];
}

interface Spec {
  global: string[];
  /** Global options that take a value (`-t`, `--table`, …): the next word is their value, not the command. */
  valued: string[];
  commands: Array<CommandSpec & { subcommands: CommandSpec[] }>;
}

/** Every command's grammar by its name, a kms subcommand's as `kms NAME` (grammar.ts, command-grammar.ts). */
const GRAMMARS: Readonly<Record<string, CommandGrammar>> = { ...QUICK_GRAMMAR, ...COMMAND_GRAMMAR };

/** The long options of a command as declared (hidden ones too: commander takes them), then `--help`. */
function grammarFlags(command: string): string[] {
  return (GRAMMARS[command]?.options ?? []).map((o) => `--${o.long}`).concat('--help');
}

/** The global options as declared, between the two program.ts adds itself: `--version` and `--help`. */
function globalFlags(): string[] {
  return ['--version', ...GLOBAL_OPTIONS.map((o) => `--${o.long}`), '--help'];
}

/** The global options that take a value, as grammar.ts declares them: the scripts skip that value as commandIndex does. */
function valuedFlags(): string[] {
  return GLOBAL_OPTIONS.filter((o) => o.value !== undefined).flatMap((o) => [...(o.short === undefined ? [] : [`-${o.short}`]), `--${o.long}`]);
}

/** `case` arms for "$cmd $sub": a command's subcommands first, then the command itself. */
function caseArms(spec: Spec, arm: (pattern: string, words: string[]) => string): string {
  return spec.commands
    .flatMap((c) =>
      c.subcommands.length === 0
        ? [arm(`"${c.name} "*`, c.flags)]
        : [...c.subcommands.map((s) => arm(`"${c.name} ${s.name}"`, s.flags)), arm(`"${c.name} "*`, [...c.subcommands.map((s) => s.name), ...c.flags])],
    )
    .join('\n');
}

const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

// bash and zsh find the command (and a subcommand of `kms`) by skipping options, and the value
// after a global option that takes one (`keystash -t prod get --n<TAB>` completes get's options).
const SCRIPTS: Record<'bash' | 'zsh' | 'fish', (spec: Spec) => string> = {
  bash: (spec) => `# keystash bash completion
_keystash() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" sub="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      ${spec.valued.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=\${COMP_WORDS[i]}; else sub=\${COMP_WORDS[i]}; break; fi ;;
    esac
  done
  local words
  case "$cmd $sub" in
    " ") words=${q([...spec.commands.map((c) => c.name), ...spec.global].join(' '))} ;;
${caseArms(spec, (pattern, words) => `    ${pattern}) words=${q(words.join(' '))} ;;`)}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _keystash keystash
`,
  zsh: (spec) => `#compdef keystash
_keystash() {
  local -a commands
  commands=(
${spec.commands.map((c) => `    ${q(`${c.name}:${c.description.replaceAll(':', '\\:')}`)}`).join('\n')}
  )
  local cmd="" sub="" i=2
  while (( i < CURRENT )); do
    case \${words[i]} in
      (${spec.valued.join('|')}) (( i++ )) ;;
      (-*) ;;
      (*) if [[ -z $cmd ]]; then cmd=\${words[i]}; else sub=\${words[i]}; break; fi ;;
    esac
    (( i++ ))
  done
  if [[ -z $cmd ]]; then
    _describe 'command' commands
    compadd -- ${spec.global.map(q).join(' ')}
    return
  fi
  case "$cmd $sub" in
${caseArms(spec, (pattern, words) => `    (${pattern}) compadd -- ${words.map(q).join(' ')} ;;`)}
  esac
  _files
}
compdef _keystash keystash
`,
  fish: (spec) =>
    `# keystash fish completion
complete -c keystash -f
${spec.commands.map((c) => `complete -c keystash -n __fish_use_subcommand -a ${c.name} -d ${q(c.description)}`).join('\n')}
${spec.commands
  .flatMap((c) => c.flags.map((f) => `complete -c keystash -n '__fish_seen_subcommand_from ${c.name}' -l ${f.slice(2)}`))
  .join('\n')}
${spec.commands
  .flatMap((c) => c.subcommands.map((s) => `complete -c keystash -n '__fish_seen_subcommand_from ${c.name}' -a ${s.name} -d ${q(s.description)}`))
  .join('\n')}
${spec.global.map((f) => `complete -c keystash -l ${f.slice(2)}${spec.valued.includes(f) ? ' -r' : ''}`).join('\n')}
`,
};
