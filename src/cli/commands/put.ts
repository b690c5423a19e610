import { Command } from 'commander';
import { unknownOptionHidden, unknownOptionShown } from '../arg-parsers.js';
import { withGrammar } from '../commander-grammar.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { QUICK_GRAMMAR } from '../grammar.js';
import { putAction, type PutOptions } from './actions.js';

/**
 * commander echoes an unknown option in its error; after `put NAME` that is most likely the secret
 * value itself (`keystash put db.pw -x9Secret`), so only an option-like flag is shown in full
 * (arg-parsers.ts unknownOptionShown), with a hint on how to store a value starting with '-'.
 */
class PutCommand extends Command {
  unknownOption(flag: string): never {
    const shown = unknownOptionShown(flag) ?? unknownOptionHidden(flag);
    this.error(`error: unknown option ${shown}; a value starting with '-' goes after '--': keystash put NAME -- VALUE`, { code: 'commander.unknownOption' });
  }
}

export function putCommand(deps: CliDeps): Command {
  return withGrammar(new PutCommand('put'), QUICK_GRAMMAR.put)
    .description('store a new version of a secret')
    .addHelpText('after', '\nExamples:\n  $ keystash put db.pw hunter2 env=prod\n  $ keystash put tls.key @server.key -c "rotated 2026-11"\n  $ printf %s "$T" | keystash put api.token -')
    .action((name: string, value: string | undefined, pairs: string[], opts: PutOptions, cmd: Command) => putAction(deps, flagsOf(cmd), name, value, pairs, opts));
}
