import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate } from '../../../src/core/process/inject.js';
import type { Keystash } from '../../../src/core/keystash.js';
import { SecretNotFoundError, SecretsNotFoundError, UsageError } from '../../../src/errors.js';

/** A stand-in with get() only, recording calls and the most reads in flight at once. */
function fakeKeystash(values: Record<string, string>): { ks: Keystash; calls: string[]; maxInFlight: () => number } {
  const calls: string[] = [];
  let inFlight = 0;
  let max = 0;
  const ks = {
    concurrency: 16,
    async get(name: string, options: { version?: string } = {}) {
      const key = options.version === undefined ? name : `${name}@${options.version}`;
      calls.push(key);
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      const value = values[key];
      if (value === undefined) throw new SecretNotFoundError(name, options.version);
      return value;
    },
  } as unknown as Keystash;
  return { ks, calls, maxInFlight: () => max };
}

describe('parseTemplate', () => {
  it('finds references with and without spaces and versions, names may hold @', () => {
    const refs = parseTemplate('a: {{ keystash:db.pw }}\nb: {{keystash:tok@3}} {{  keystash:me@host  }}\nc: {{ .Values.x }} {{ other }}\n');
    expect(refs.map(({ line, name, version }) => ({ line, name, version }))).toEqual([
      { line: 1, name: 'db.pw', version: undefined },
      { line: 2, name: 'tok', version: '3' },
      { line: 2, name: 'me@host', version: undefined },
    ]);
  });

  it.each([
    ['x\ny: {{ keystash:db.pw\n}}', /^line 2: unterminated reference/],
    ['{{ keystash:db.pw', /^line 1: unterminated/],
    ['\n\n{{ keystash: }}', /^line 3: malformed reference/],
    ['{{ keystash:a b }}', /^line 1: malformed reference/],
  ])('refuses %j naming the line', (text, message) => {
    expect(() => parseTemplate(text)).toThrow(UsageError);
    expect(() => parseTemplate(text)).toThrow(message);
  });
});

describe('renderTemplate', () => {
  it('replaces every reference, keeps all other text, reads each distinct reference once, concurrently', async () => {
    const { ks, calls, maxInFlight } = fakeKeystash({ 'db.pw': 'p$w"\n}}', 'tok@3': 'old', tok: 'new' });
    const text = 'pw={{ keystash:db.pw }} again={{keystash:db.pw}}\nt={{ keystash:tok@3 }}/{{ keystash:tok }} {{ helm }} {{\n';
    expect(await renderTemplate(ks, text)).toBe('pw=p$w"\n}} again=p$w"\n}}\nt=old/new {{ helm }} {{\n');
    expect(calls.sort()).toEqual(['db.pw', 'tok', 'tok@3']);
    expect(maxInFlight()).toBe(3);
  });

  it('one failure keeps its class with the line; several missing secrets are one not-found error naming each (as exec and export)', async () => {
    const { ks } = fakeKeystash({ a: '1' });
    await expect(renderTemplate(ks, 'x\n{{ keystash:a }} {{ keystash:missing }}')).rejects.toThrow(SecretNotFoundError);
    await expect(renderTemplate(ks, 'x\n{{ keystash:a }} {{ keystash:missing }}')).rejects.toThrow(/^line 2: Item/);
    const several = renderTemplate(ks, '{{ keystash:m1 }}\n{{ keystash:m2 }}\n{{ keystash:m1 }}');
    await expect(several).rejects.toThrow(SecretsNotFoundError);
    await expect(renderTemplate(ks, '{{ keystash:m1 }}\n{{ keystash:m2 }}')).rejects.toThrow("2 secrets could not be found: 'm1', 'm2'");
  });
});
