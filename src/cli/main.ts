/**
 * The CLI entry: build the program, parse, and turn what fails into a message and an exit code
 * (report.ts; docs/conventions.md §8). bin/keystash.cjs tries the quick path (quick.ts) first for the
 * commands most runs are.
 */
import { CommanderError } from 'commander';
import { WIRING } from './backends.js';
import type { CliWiring } from './deps.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { createProgram } from './program.js';
import { report, runProcess } from './report.js';

/**
 * Run keystash with `argv` (without node and script); resolves to the exit code. `wiring`
 * replaces any of the real backends (tests).
 */
export async function run(argv: readonly string[], io: Io, wiring: Partial<CliWiring> = {}): Promise<number> {
  const program = createProgram({ ...WIRING, ...wiring, io }, argv);
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    return EXIT.OK;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its message; help and version are successes.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
    }
    return report(error, io, argv);
  }
}

/** bin/keystash.cjs calls this. */
export async function main(): Promise<void> {
  await runProcess((io) => run(process.argv.slice(2), io));
}
