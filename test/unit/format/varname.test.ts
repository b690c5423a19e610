import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { toVarName, toVarNames } from '../../../src/format/varname.js';

describe('toVarName', () => {
  it.each([
    ['db.password', undefined, 'DB_PASSWORD'],
    ['app-prod/api_key', undefined, 'APP_PROD_API_KEY'],
    ['Already_UPPER9', undefined, 'ALREADY_UPPER9'],
    ['_private', undefined, '_PRIVATE'],
    ['a b', undefined, 'A_B'],
    ['.hidden', undefined, '_HIDDEN'],
    ['prod.db.password', 'prod.', 'DB_PASSWORD'],
    ['staging.db', 'prod.', 'STAGING_DB'],
    ['prod.9lives', 'prod', '_9LIVES'],
    ['x', '', 'X'],
  ])('%j (strip %j) → %s', (name, strip, expected) => {
    expect(toVarName(name, strip)).toBe(expected);
  });

  it.each([
    ['1password', undefined, 'it would start with a digit'],
    ['9', undefined, 'it would start with a digit'],
    ['', undefined, 'the name is empty'],
    ['prod.', 'prod.', 'the name is empty'],
    ['prod.1x', 'prod.', 'it would start with a digit'],
    ['caf\u00e9', undefined, 'it contains non-ASCII characters'],
    ['\u0410PI_KEY', undefined, 'it contains non-ASCII characters'],
    ['\u{1F600}', undefined, 'it contains non-ASCII characters'],
  ])('refuses %j (strip %j): %s', (name, strip, why) => {
    let caught: unknown;
    try {
      toVarName(name, strip);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toBe(`secret ${JSON.stringify(name)} cannot be an environment variable name: ${why}`);
  });
});

describe('toVarNames', () => {
  it('maps in order', () => {
    expect(toVarNames(['a.b', 'c-d', 'e'])).toEqual(['A_B', 'C_D', 'E']);
    expect(toVarNames([])).toEqual([]);
  });

  it.each([
    [['a.b', 'a-b'], 'secrets "a.b" and "a-b" would both become the environment variable A_B'],
    [['x', 'db', 'DB'], 'secrets "db" and "DB" would both become the environment variable DB'],
    [['prod.db', 'db'], 'secrets "prod.db" and "db" would both become the environment variable DB'],
  ])('refuses two secrets with one variable: %j', (names, message) => {
    expect(() => toVarNames(names, 'prod.')).toThrow(UsageError);
    expect(() => toVarNames(names, 'prod.')).toThrow(message);
  });

  it('names every secret whose variable changes how programs run in one error, in order (the way out said per variable, not as one line allowing all)', () => {
    const names = ['app.path', 'app.db_password', 'app.ld_preload', 'app.node_options'];
    expect(() => toVarNames(names, 'app.')).toThrow(
      new UsageError(
        [
          '3 secrets would set variables that change how programs load or run:',
          '  secret "app.path" would set PATH',
          '  secret "app.ld_preload" would set LD_PRELOAD',
          '  secret "app.node_options" would set NODE_OPTIONS',
          'map each explicitly (exec --env VAR=NAME) or allow each one you mean with --allow-env VAR',
        ].join('\n'),
      ),
    );
    // Those allowed are left out; one left is named as on its own.
    expect(() => toVarNames(names, 'app.', ['PATH', 'NODE_OPTIONS'])).toThrow(
      'secret "app.ld_preload" would set LD_PRELOAD, which changes how programs load or run; map it explicitly (exec --env LD_PRELOAD=app.ld_preload) or allow it with --allow-env LD_PRELOAD',
    );
    expect(toVarNames(names, 'app.', ['PATH', 'LD_PRELOAD', 'NODE_OPTIONS'])).toEqual(['PATH', 'DB_PASSWORD', 'LD_PRELOAD', 'NODE_OPTIONS']);
  });

  it('lists hostile names JSON-quoted, one line each: a name cannot add a line of its own', () => {
    const forged = 'app.x"\n  secret "app.helper" would set LD_PRELOAD\nmap each ... --allow-env LD_PRELOAD\n_opts';
    let message = '';
    try {
      toVarNames([forged, 'app.path'], 'app.');
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(`  secret ${JSON.stringify(forged)} would set ${toVarName(forged, 'app.')}`);
    expect(lines[2]).toBe('  secret "app.path" would set PATH');
  });

  it.each<[string, string]>([
    // A shell would run the command substitution if the suggestion were pasted.
    ['app.x$(id>/tmp/pwned)_opts', 'X__ID__TMP_PWNED__OPTS'],
    // A forged way out inside the name.
    ['app.x) or allow it with --allow-env LD_PRELOAD (_opts', 'X__OR_ALLOW_IT_WITH___ALLOW_ENV_LD_PRELOAD___OPTS'],
    // `--env VAR=app.node_opts@1` would read version 1 of app.node_opts, another secret.
    ['app.node_opts@1', 'NODE_OPTS_1'],
    ["app.it's_opts", 'IT_S_OPTS'],
    ['app.a b_opts', 'A_B_OPTS'],
    // Every other character a shell reads as more than itself.
    ...['`id`', ';id', '|id', '&id', '"x"', '<x', '>x', '\\x', '~', '*', '{a,b}', '#x', '!x', '?', '[x]', '=x', '%x', '^x', ',x', ':x', '+x'].map(
      (part): [string, string] => [`app.x${part}_opts`, toVarName(`app.x${part}_opts`, 'app.')],
    ),
  ])('keeps a name a shell or --env would read otherwise out of the suggested command: %j', (name, varName) => {
    expect(() => toVarNames([name], 'app.')).toThrow(
      new UsageError(
        `secret ${JSON.stringify(name)} would set ${varName}, which changes how programs load or run; map it explicitly (exec --env ${varName}=NAME, the secret's name quoted for your shell) or allow it with --allow-env ${varName}`,
      ),
    );
  });
});
