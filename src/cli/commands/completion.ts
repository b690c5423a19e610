import { Command, Argument } from 'commander';
import type { CliDeps } from '../deps.js';

export function completionCommand(deps: CliDeps): Command {
  return new Command('completion')
    .description('print a shell completion script (commands and options come from this program)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', '\nExamples:\n  $ source <(keystash completion bash)\n  $ source <(keystash completion zsh)        # in ~/.zshrc, after compinit\n  $ keystash completion fish > ~/.config/fish/completions/keystash.fish')
    .action((shell: 'bash' | 'zsh' | 'fish', _opts: Record<string, never>, cmd: Command) => {
      const program = cmd.parent ?? cmd;
      const spec = {
        global: longFlags(program),
        commands: program.commands.map((c) => ({ name: c.name(), description: c.description(), flags: longFlags(c) })),
      };
      deps.io.stdout.write(SCRIPTS[shell](spec));
    });
}

interface Spec {
  global: string[];
  commands: Array<{ name: string; description: string; flags: string[] }>;
}

function longFlags(cmd: Command): string[] {
  return cmd.options.flatMap((o) => (o.long ? [o.long] : [])).concat('--help');
}

const q = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

const SCRIPTS: Record<'bash' | 'zsh' | 'fish', (spec: Spec) => string> = {
  bash: (spec) => `# keystash bash completion
_keystash() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in -*) ;; *) cmd=\${COMP_WORDS[i]}; break ;; esac
  done
  local words
  case $cmd in
${spec.commands.map((c) => `    ${c.name}) words=${q(c.flags.join(' '))} ;;`).join('\n')}
    *) words=${q([...spec.commands.map((c) => c.name), ...spec.global].join(' '))} ;;
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
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    compadd -- ${spec.global.map(q).join(' ')}
    return
  fi
  case \${words[2]} in
${spec.commands.map((c) => `    ${c.name}) compadd -- ${c.flags.map(q).join(' ')} ;;`).join('\n')}
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
${spec.global.map((f) => `complete -c keystash -l ${f.slice(2)}`).join('\n')}
`,
};
