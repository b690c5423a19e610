/**
 * `exec --env VAR=name[@version]` / `--file VAR=name[@version]` (parseEnvMapping, src/core/process/exec-env.ts):
 * the forms accepted, the refusals (UsageError, exit 2, naming the flag) and the edge cases.
 */
import { describe, expect, it } from 'vitest';
import { parseEnvMapping } from '../../../src/core/process/exec-env.js';
import { UsageError } from '../../../src/errors.js';

describe('parseEnvMapping', () => {
  it.each([
    ['PGPASSWORD=db.pw', { varName: 'PGPASSWORD', name: 'db.pw' }],
    ['PGPASSWORD=db.pw@2', { varName: 'PGPASSWORD', name: 'db.pw', version: '2' }],
    ['PGPASSWORD=db.pw@0000000000000000002', { varName: 'PGPASSWORD', name: 'db.pw', version: '0000000000000000002' }],
    ['_=x', { varName: '_', name: 'x' }],
    ['a1_B2=x', { varName: 'a1_B2', name: 'x' }],
    ['lower=x', { varName: 'lower', name: 'x' }],
    // only an all-digit suffix is a version: a name may contain '@'
    ['TOKEN=user@example.com', { varName: 'TOKEN', name: 'user@example.com' }],
    ['TOKEN=user@example.com@3', { varName: 'TOKEN', name: 'user@example.com', version: '3' }],
    ['TOKEN=a@b@c', { varName: 'TOKEN', name: 'a@b@c' }],
    ['TOKEN=name@', { varName: 'TOKEN', name: 'name@' }],
    ['TOKEN=name@1a', { varName: 'TOKEN', name: 'name@1a' }],
    ['TOKEN=name@-1', { varName: 'TOKEN', name: 'name@-1' }],
    ['TOKEN=@5', { varName: 'TOKEN', name: '@5' }],
    // the first '=' splits: the rest, '=' included, is the secret name
    ['VAR=a=b', { varName: 'VAR', name: 'a=b' }],
    ['VAR==x', { varName: 'VAR', name: '=x' }],
    ['VAR=app.*', { varName: 'VAR', name: 'app.*' }],
    ['VAR= spaced name ', { varName: 'VAR', name: ' spaced name ' }],
  ])('%j → %j', (text, mapping) => {
    expect(parseEnvMapping(text)).toEqual(mapping);
  });

  it('gives no version key when there is no version', () => {
    expect(Object.keys(parseEnvMapping('A=b'))).toEqual(['varName', 'name']);
  });

  it.each([
    ['', '--env expects VAR=name[@version] (the text given is not shown, in case it is the secret)'],
    ['NAME', '--env expects VAR=name[@version] (the text given is not shown, in case it is the secret)'],
    ['=db.pw', '--env expects VAR=name[@version] (the text given is not shown, in case it is the secret)'],
    ['VAR=', '--env expects VAR=name[@version] (the text given is not shown, in case it is the secret)'],
    ['=', '--env expects VAR=name[@version] (the text given is not shown, in case it is the secret)'],
    ['1VAR=x', '--env: the variable name given (not shown, in case it is the secret) is not a valid environment variable name'],
    ['MY-VAR=x', '--env: the variable name given (not shown, in case it is the secret) is not a valid environment variable name'],
    ['MY VAR=x', '--env: the variable name given (not shown, in case it is the secret) is not a valid environment variable name'],
    ['VAR.X=x', '--env: the variable name given (not shown, in case it is the secret) is not a valid environment variable name'],
    ['ÄVAR=x', '--env: the variable name given (not shown, in case it is the secret) is not a valid environment variable name'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseEnvMapping(text)).toThrow(UsageError);
    expect(() => parseEnvMapping(text)).toThrow(message);
  });

  it('names the flag it parses for (--file)', () => {
    expect(() => parseEnvMapping('nope', '--file')).toThrow('--file expects VAR=name[@version] (the text given is not shown');
    expect(() => parseEnvMapping('1X=y', '--file')).toThrow('--file: the variable name given (not shown, in case it is the secret) is not a valid');
    expect(parseEnvMapping('KUBECONFIG=k8s.kubeconfig', '--file')).toEqual({ varName: 'KUBECONFIG', name: 'k8s.kubeconfig' });
  });
});
