import { describe, expect, it } from 'vitest';
import vectors from '../../vectors/credstash-vectors.json' with { type: 'json' };
import { VersionConflictError } from '../../../src/errors.js';
import { compareVersions, isCanonicalVersion, nextVersion, padVersion, parseReadVersion, parseWriteVersion, readVersionProblem, writeVersionProblem } from '../../../src/core/secrets/versions.js';
import { expandWildcard, matchesGlob } from '../../../src/core/secrets/wildcard.js';

describe('padVersion', () => {
  it("reproduces credstash's paddedInt examples from the vectors", () => {
    const examples = Object.entries(vectors.constants.paddedInt_examples);
    expect(examples.length).toBeGreaterThan(5);
    for (const [input, expected] of examples) {
      const text = input.startsWith("'") ? input.slice(1, -1) : input;
      expect(padVersion(text)).toBe(expected);
    }
  });
});

describe('parseReadVersion / parseWriteVersion', () => {
  it('pads short numbers, keeps 19+ characters, refuses short non-numbers', () => {
    expect(parseReadVersion('5')).toBe('0000000000000000005');
    expect(parseReadVersion('05')).toBe('0000000000000000005');
    expect(parseReadVersion('0000000000000000005')).toBe('0000000000000000005');
    expect(() => parseReadVersion('abc')).toThrow(/invalid version/);
    expect(parseWriteVersion('42')).toBe('0000000000000000042');
    expect(() => parseWriteVersion('v1')).toThrow(/invalid version/);
  });

  it('a version to write is digits only: a 19+ character stored form (maybe a password) is refused, unquoted', () => {
    const password = 'Xk9#mQ2$vL7!pR4^tW8zA';
    expect(parseReadVersion(password)).toBe(password);
    expect(readVersionProblem(password)).toBeUndefined();
    expect(() => parseWriteVersion(password)).toThrow('invalid version (use a number such as 3: a version written is digits only)');
    expect(writeVersionProblem('0000000000000000abc')).toMatch(/^invalid version/);
    expect(writeVersionProblem('0000000000000000003')).toBeUndefined();
  });
});

describe('ordering and next version', () => {
  it('orders legacy unpadded versions numerically', () => {
    const versions = ['1', '10', '9', '0000000000000000002', '2'];
    expect([...versions].sort(compareVersions)).toEqual(['1', '0000000000000000002', '2', '9', '10']);
    expect(compareVersions('abc', '0000000000000000007')).toBe(1);
  });
  it('next version', () => {
    expect(nextVersion(undefined)).toBe('0000000000000000001');
    expect(nextVersion('0000000000000000009')).toBe('0000000000000000010');
    expect(nextVersion('10')).toBe('0000000000000000011');
    expect(() => nextVersion('hunter2-typed')).toThrow(/^Can not autoincrement version. The current version is not an int \(not shown, in case it is a secret\); give the next version with -v$/);
    // A 20-digit version sorts before 9999999999999999999 in byte order.
    expect(nextVersion('9999999999999999998')).toBe('9999999999999999999');
    expect(() => nextVersion('9999999999999999999')).toThrow(VersionConflictError);
    expect(() => nextVersion('9999999999999999999')).toThrow(/no 19-digit successor/);
    expect(isCanonicalVersion('0000000000000000001')).toBe(true);
    expect(isCanonicalVersion('1')).toBe(false);
  });
});

describe('wildcard', () => {
  it('only * is special', () => {
    const names = ['app.db', 'appXdb', 'app.db.old', 'other', 'a[b]', 'a(b)'];
    expect(expandWildcard('app.*', names)).toEqual(['app.db', 'app.db.old']);
    expect(expandWildcard('app.db', names)).toEqual(['app.db']);
    expect(expandWildcard('*', names)).toEqual(names);
    expect(expandWildcard('a[*', names)).toEqual(['a[b]']);
    expect(expandWildcard('a(*)', names)).toEqual(['a(b)']);
    expect(matchesGlob('x*y', 'x\ny')).toBe(true);
  });
});
