import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { detectFormat, IMPORT_FORMATS, parseImport, type ImportFormat } from '../../../src/core/transfer/import-file.js';

type Pairs = Array<[string, string]>;

describe('parseImport: accepted files', () => {
  const cases: Array<[string, ImportFormat, string, Pairs]> = [
    ['JSON object', 'json', '{"app.db": "pw", "app.key": "k"}', [['app.db', 'pw'], ['app.key', 'k']]],
    ['JSON across lines, empty value', 'json', '{\n  "a": "",\n  "b": "x y"\n}\n', [['a', ''], ['b', 'x y']]],
    ['JSON escapes', 'json', '{"a": "line1\\nline2", "b": "\\u00e9"}', [['a', 'line1\nline2'], ['b', 'é']]],
    ['JSON empty object', 'json', '{}', []],
    ['JSON nested keys are not top-level duplicates', 'json', '{"a": "{\\"a\\": 1}", "b": "a"}', [['a', '{"a": 1}'], ['b', 'a']]],
    ['JSON with a byte order mark', 'json', '\uFEFF{"a": "1"}', [['a', '1']]],
    ['dotenv bare, quoted and exported', 'dotenv', "A=1\nexport B='two words'\nC=\"x\\ny\"\n", [['A', '1'], ['B', 'two words'], ['C', 'x\ny']]],
    ['dotenv comments, blanks, spaces around =, CRLF', 'dotenv', '# top\r\n\r\nA = 1 # note\r\nB=\r\n', [['A', '1'], ['B', '']]],
    ['dotenv with a byte order mark', 'dotenv', '\uFEFFA=1\n', [['A', '1']]],
    ['YAML mapping', 'yaml', 'app.db: pw\napp.key: "k: v"\n', [['app.db', 'pw'], ['app.key', 'k: v']]],
    ['YAML !!str tag, block scalar', 'yaml', "a: !!str 123\nb: |\n  two\n  lines\n", [['a', '123'], ['b', 'two\nlines\n']]],
    ['YAML quoted number stays text', 'yaml', "a: '007'\n", [['a', '007']]],
  ];
  it.each(cases)('%s', (_what, format, text, pairs) => {
    expect(parseImport(text, format)).toEqual(pairs);
  });
});

describe('parseImport: refused files', () => {
  const cases: Array<[string, ImportFormat, string, RegExp]> = [
    // V8's wording differs between Node versions; either form quotes nothing of the file.
    ['JSON syntax error', 'json', '{\n"a": "1",\n"b": hunter2\n}', /^f\.json: (line 3: )?not valid JSON \((unexpected character|unexpected input at position \d+)\); nothing was imported$/],
    ['JSON truncated', 'json', '{"a": "1"', /not valid JSON \((Unexpected end of JSON input|unexpected input at position 9)\)/],
    ['JSON array', 'json', '["a", "b"]', /expected an object of "name": "value" pairs/],
    ['JSON top-level string', 'json', '"a"', /expected an object/],
    ['JSON null', 'json', 'null', /expected an object/],
    ['JSON number value', 'json', '{"a": 1}', /the value of "a" is not a string \(quote it\)/],
    ['JSON nested object value', 'json', '{"a": {"b": "c"}}', /the value of "a" is not a string/],
    ['JSON duplicate name', 'json', '{"a": "1",\n "a": "2"}', /line 2: the name "a" is given twice/],
    ['JSON name with a wildcard', 'json', '{"app.*": "1"}', /must not contain '\*'/],
    ['JSON empty name', 'json', '{"": "1"}', /must not be empty/],
    ['JSON name with a control character', 'json', '{"a\\u0001": "1"}', /control characters/],
    ['dotenv line without =', 'dotenv', 'A=1\nnot an assignment\n', /line 2: expected NAME=value/],
    ['dotenv name twice', 'dotenv', 'A=1\nA=2\n', /line 2: A is assigned twice/],
    ['dotenv unterminated quote', 'dotenv', 'A="open\n', /unterminated double-quoted value for A/],
    ['YAML two documents', 'yaml', 'a: 1\n---\nb: 2\n', /not valid YAML \(MULTIPLE_DOCS\)/],
    ['YAML alias', 'yaml', "a: &x '1'\nb: *x\n", /not valid YAML \((an anchor|an alias)/],
    ['YAML unknown tag', 'yaml', 'a: !Passw0rd\n', /not valid YAML/],
    ['YAML duplicate key', 'yaml', 'a: "1"\na: "2"\n', /not valid YAML \(DUPLICATE_KEY\)/],
    ['YAML number value', 'yaml', 'a: 1\n', /the value of "a" is not a string/],
    ['YAML list', 'yaml', '- a\n- b\n', /expected an object/],
    ['YAML empty file', 'yaml', '', /expected an object/],
  ];
  it.each(cases)('%s', (_what, format, text, message) => {
    let error: unknown;
    try {
      parseImport(text, format, 'f.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/nothing was imported$/);
  });
  it('never quotes a value in a refusal', () => {
    for (const [format, text] of [['json', '{"pw": hunter2}'], ['yaml', 'pw: !hunter2\n'], ['json', '{"pw": "hunter2", "n": 5}']] as const) {
      expect(() => parseImport(text, format)).toThrow(UsageError);
      try {
        parseImport(text, format);
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });
  it('names the source given', () => {
    expect(() => parseImport('[]', 'json', 'secrets.json')).toThrow(/^secrets\.json: /);
    expect(() => parseImport('[]', 'json')).toThrow(/^input: /);
  });
});

describe('detectFormat', () => {
  const cases: Array<[string, string, string | undefined, ImportFormat]> = [
    ['.json extension wins over content', 'A=1', 'x.JSON', 'json'],
    ['.yaml', '{}', 'x.yaml', 'yaml'],
    ['.yml', '{}', 'dir/x.yml', 'yaml'],
    ['.env', '{}', 'prod.env', 'dotenv'],
    ['.env.local', '{}', 'dir/.env.local', 'dotenv'],
    ['sniffed JSON after comments', '# c\n\n  {"a": "1"}', undefined, 'json'],
    ['sniffed dotenv', 'A=1', undefined, 'dotenv'],
    ['sniffed exported dotenv', 'export A=1', 'secrets.txt', 'dotenv'],
    ['anything else is YAML', 'a: 1', undefined, 'yaml'],
    ['empty text is YAML', '', undefined, 'yaml'],
  ];
  it.each(cases)('%s', (_what, text, fileName, format) => {
    expect(detectFormat(text, fileName)).toBe(format);
  });
  it('knows exactly the three formats', () => {
    expect([...IMPORT_FORMATS]).toEqual(['json', 'dotenv', 'yaml']);
  });
});
