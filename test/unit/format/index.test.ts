import { describe, expect, it } from 'vitest';
import { KeystashError, UsageError } from '../../../src/errors.js';
import { FORMATS, FORMAT_NAMES } from '../../../src/format/index.js';
import type { FormatName } from '../../../src/format/index.js';

const OPTIONS = { k8sName: 'app' };

describe('FORMATS', () => {
  it('offers the documented formats', () => {
    expect(FORMAT_NAMES).toEqual(['json', 'yaml', 'csv', 'dotenv', 'shell', 'github-env', 'github-output', 'k8s-secret', 'docker', 'env-no-quotes']);
  });

  it.each(FORMAT_NAMES.map((name) => [name]))('%s accepts pairs and a Map alike and rejects duplicate names', (name: FormatName) => {
    const render = FORMATS[name];
    const pairs: Array<[string, string]> = [['b', 'two'], ['a', 'one']];
    if (name !== 'github-env' && name !== 'github-output') expect(render(new Map(pairs), OPTIONS)).toBe(render(pairs, OPTIONS));
    else expect(render(new Map(pairs), OPTIONS).split('\n').length).toBe(render(pairs, OPTIONS).split('\n').length);
    expect(() => render([['a', '1'], ['a', '2']], OPTIONS)).toThrow(UsageError);
  });

  it.each(FORMAT_NAMES.map((name) => [name]))('%s fails only with UsageError', (name: FormatName) => {
    for (const pairs of [[['1bad name/é', "x'$\r\0"]], [['a.b', '1'], ['a_b', '2']]] as Array<Array<[string, string]>>) {
      try {
        FORMATS[name](pairs, OPTIONS);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        expect(error).toBeInstanceOf(KeystashError);
      }
    }
  });
});
