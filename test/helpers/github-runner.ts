// The GitHub Actions runner's side of the file commands, for tests of github-env, github-output
// and action.yml.

/**
 * The reader: a line-for-line port of actions/runner `SetEnvFileCommand.ProcessCommand` and its
 * `ReadLine` (src/Runner.Worker/FileCommandManager.cs, non-Windows branch). `SetOutputFileCommand`
 * reads `$GITHUB_OUTPUT` with the same rules.
 */
export function parseGithubEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let index = 0;
  const readLine = (): { line: string | null; newline: string } => {
    if (index >= text.length) return { line: null, newline: '' };
    const start = index;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      index = text.length;
      return { line: text.slice(start), newline: '' };
    }
    index = lf + 1;
    return { line: text.slice(start, lf), newline: '\n' };
  };
  for (let { line } = readLine(); line !== null; { line } = readLine()) {
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      env[line.slice(0, equals)] = line.slice(equals + 1);
    } else if (heredoc >= 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') throw new Error(`invalid format '${line}'`);
      const startIndex = index;
      let endIndex = index;
      let next = readLine();
      while (next.line !== delimiter) {
        if (next.line === null) throw new Error(`Matching delimiter not found '${delimiter}'`);
        endIndex = index - next.newline.length;
        next = readLine();
      }
      env[name] = endIndex > startIndex ? text.slice(startIndex, endIndex) : '';
    } else {
      throw new Error(`invalid format '${line}'`);
    }
  }
  return env;
}

/**
 * The values of `::add-mask::` workflow commands in a step's stdout, unescaped as the runner does
 * (`%0D` → CR, `%0A` → LF, `%25` → %; actions/runner ActionCommand.UnescapeData).
 */
export function addMaskValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length).replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%'));
}
