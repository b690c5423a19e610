/**
 * The permission rules of the local KMS server (src/kmsserver/principals.ts) over a real keyring:
 * which role may call which operation, key limits (ids, ARNs, aliases; the key inside a
 * ciphertext blob), encryption-context limits, and the principals file format's refusals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { authorize, MANAGER_OPERATIONS, parsePrincipals, USER_OPERATIONS, type Principal } from '../../src/kmsserver/principals.js';
import { OPERATIONS } from '../../src/kmsserver/operations.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-principals-'));
const kms = LocalKms.open({ path: join(dir, 'keyring.json') });
let app = '';
let other = '';
let appBlob = '';
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  app = (await kms.createKey({ alias: 'alias/app' })).arn;
  other = (await kms.createKey({ alias: 'alias/other' })).arn;
  appBlob = Buffer.from((await kms.generateDataKey({ keyId: 'alias/app', numberOfBytes: 64, context: { env: 'prod' } })).ciphertextBlob).toString('base64');
});

const principal = (roles: Array<'user' | 'manager'>, extra: Partial<Principal> = {}): Principal =>
  ({ accessKeyId: 'AKIATESTPRINCIPAL001', secretAccessKey: 's', roles: new Set(roles), ...extra });

async function denial(p: Principal, op: string, input: Record<string, unknown>): Promise<string | undefined> {
  try {
    await authorize(kms, p, op, input);
    return undefined;
  } catch (err) {
    return `${(err as { type: string }).type}: ${(err as Error).message}`;
  }
}

describe('authorize: roles', () => {
  it('every served operation belongs to a role; users never administer, managers never use keys', () => {
    for (const op of Object.keys(OPERATIONS)) expect(USER_OPERATIONS.has(op) || MANAGER_OPERATIONS.has(op), op).toBe(true);
    for (const op of ['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncrypt']) expect(MANAGER_OPERATIONS.has(op)).toBe(false);
    for (const op of ['CreateKey', 'DisableKey', 'EnableKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'RotateKeyOnDemand']) expect(USER_OPERATIONS.has(op)).toBe(false);
  });

  it.each([
    ['user', 'Decrypt', true], ['user', 'DescribeKey', true], ['user', 'DisableKey', false], ['user', 'ListKeys', false],
    ['manager', 'DisableKey', true], ['manager', 'DescribeKey', true], ['manager', 'Decrypt', false], ['manager', 'GenerateDataKey', false],
  ] as const)('%s %s → allowed %s', async (role, op, allowed) => {
    const input = op === 'Decrypt' ? { CiphertextBlob: appBlob, EncryptionContext: { env: 'prod' } } : { KeyId: 'alias/app', NumberOfBytes: 64 };
    const result = await denial(principal([role]), op, input);
    if (allowed) expect(result).toBeUndefined();
    else expect(result).toMatch(new RegExp(`^AccessDeniedException: User: AKIATESTPRINCIPAL001 is not authorized to perform: kms:${op} because its role \\(${role}\\)`));
  });
});

describe('authorize: key limits', () => {
  const limited = principal(['user', 'manager'], { keys: ['alias/app'] });

  it('allows the key by alias, id or ARN, and a blob wrapped under it', async () => {
    for (const ref of ['alias/app', app, app.replace(/^.*:key\//, '')]) expect(await denial(limited, 'DescribeKey', { KeyId: ref })).toBeUndefined();
    expect(await denial(limited, 'Decrypt', { CiphertextBlob: appBlob, EncryptionContext: { env: 'prod' } })).toBeUndefined();
  });

  it('refuses another key, an unknown key, a blob of another key named by an allowed KeyId, and CreateKey', async () => {
    expect(await denial(limited, 'GenerateDataKey', { KeyId: 'alias/other' })).toContain(`on resource: ${other}`);
    expect(await denial(limited, 'DescribeKey', { KeyId: 'alias/nope' })).toContain('AccessDeniedException');
    const otherBlob = Buffer.from((await kms.generateDataKey({ keyId: 'alias/other', numberOfBytes: 16, context: {} })).ciphertextBlob).toString('base64');
    expect(await denial(limited, 'Decrypt', { CiphertextBlob: otherBlob, KeyId: 'alias/app' })).toContain('AccessDeniedException');
    expect(await denial(limited, 'ReEncrypt', { CiphertextBlob: appBlob, DestinationKeyId: 'alias/other' })).toContain('AccessDeniedException');
    expect(await denial(limited, 'CreateKey', {})).toContain('names none');
    expect(await denial(limited, 'ListKeys', {})).toBeUndefined();
  });

  it('CreateAlias checks the alias name and the target; DeleteAlias/UpdateAlias check the name and what the alias points at', async () => {
    const withNew = principal(['manager'], { keys: ['alias/app', 'alias/new'] });
    expect(await denial(withNew, 'CreateAlias', { AliasName: 'alias/new', TargetKeyId: 'alias/app' })).toBeUndefined();
    expect(await denial(withNew, 'CreateAlias', { AliasName: 'alias/new', TargetKeyId: 'alias/other' })).toContain('AccessDeniedException');
    expect(await denial(limited, 'CreateAlias', { AliasName: 'alias/new', TargetKeyId: 'alias/app' })).toContain('the alias name is not among');
    expect(await denial(limited, 'DeleteAlias', { AliasName: 'alias/other' })).toContain('AccessDeniedException');
    expect(await denial(limited, 'UpdateAlias', { AliasName: 'alias/app', TargetKeyId: 'alias/other' })).toContain('AccessDeniedException');
  });
});

describe('authorize: the alias name is a resource of its own (issue 24 item 2)', () => {
  const manager = principal(['manager'], { keys: ['alias/app'] });

  it('a manager limited to alias/app cannot point a name it was not given at its key', async () => {
    // A user limited to alias/future (not existing yet) would otherwise get data keys under alias/app's key.
    const user = principal(['user'], { keys: ['alias/future'] });
    expect(await denial(user, 'GenerateDataKey', { KeyId: 'alias/app', NumberOfBytes: 32 })).toContain('AccessDeniedException');
    expect(await denial(manager, 'CreateAlias', { AliasName: 'alias/future', TargetKeyId: 'alias/app' }))
      .toBe('AccessDeniedException: User: AKIATESTPRINCIPAL001 is not authorized to perform: kms:CreateAlias on resource: alias/future because the alias name is not among the aliases it may manage');
    expect(await denial(manager, 'CreateAlias', { AliasName: 'arn:aws:kms:local:000000000000:alias/future', TargetKeyId: app })).toContain('the alias name is not among');
  });

  it('a key id or ARN in the list grants no alias name; the alias ARN form does', async () => {
    const byArn = principal(['manager'], { keys: [app] });
    expect(await denial(byArn, 'CreateAlias', { AliasName: 'alias/app2', TargetKeyId: app })).toContain('the alias name is not among');
    expect(await denial(byArn, 'UpdateAlias', { AliasName: 'alias/app', TargetKeyId: app })).toContain('the alias name is not among');
    const byAliasArn = principal(['manager'], { keys: [app, 'arn:aws:kms:us-east-1:111122223333:alias/app2'] });
    expect(await denial(byAliasArn, 'CreateAlias', { AliasName: 'alias/app2', TargetKeyId: app })).toBeUndefined();
  });

  it('UpdateAlias and DeleteAlias need the name too, besides the current and new target', async () => {
    expect(await denial(manager, 'UpdateAlias', { AliasName: 'alias/app', TargetKeyId: 'alias/app' })).toBeUndefined();
    expect(await denial(manager, 'DeleteAlias', { AliasName: 'alias/app' })).toBeUndefined();
    const both = principal(['manager'], { keys: ['alias/app', 'alias/other'] });
    expect(await denial(both, 'UpdateAlias', { AliasName: 'alias/other', TargetKeyId: 'alias/app' })).toBeUndefined();
    const appOnlyKeyOther = principal(['manager'], { keys: ['alias/app', other] });
    expect(await denial(appOnlyKeyOther, 'DeleteAlias', { AliasName: 'alias/other' })).toContain('the alias name is not among');
    expect(await denial(appOnlyKeyOther, 'UpdateAlias', { AliasName: 'alias/other', TargetKeyId: 'alias/app' })).toContain('the alias name is not among');
  });

  it('members an operation ignores grant nothing: a limited manager cannot create keys by adding KeyId-like members', async () => {
    for (const member of ['KeyId', 'TargetKeyId', 'DestinationKeyId', 'SourceKeyId', 'AliasName']) {
      expect(await denial(manager, 'CreateKey', { [member]: 'alias/app' }), member).toContain('it is limited to some keys and this action names none');
    }
    // The same for a user: GenerateDataKey's key is KeyId, whatever else the request carries.
    const user = principal(['user'], { keys: ['alias/app'] });
    expect(await denial(user, 'GenerateDataKey', { KeyId: 'alias/other', TargetKeyId: 'alias/app', AliasName: 'alias/app' })).toContain(`on resource: ${other}`);
    expect(await denial(user, 'Encrypt', { KeyId: 'alias/other', DestinationKeyId: 'alias/app', Plaintext: 'eA==' })).toContain(`on resource: ${other}`);
    // A ciphertext blob names a key only where the operation reads one.
    expect(await denial(user, 'DescribeKey', { KeyId: 'alias/other', CiphertextBlob: appBlob })).toContain(`on resource: ${other}`);
  });

  it('an unlimited manager may still create any alias', async () => {
    expect(await denial(principal(['manager']), 'CreateAlias', { AliasName: 'alias/future', TargetKeyId: 'alias/app' })).toBeUndefined();
  });
});

describe('authorize: context limits', () => {
  const prodOnly = principal(['user'], { context: { env: 'prod' } });

  it('cryptographic calls must carry every required pair; ReEncrypt on both sides', async () => {
    expect(await denial(prodOnly, 'GenerateDataKey', { KeyId: 'alias/app', EncryptionContext: { env: 'prod', app: 'x' } })).toBeUndefined();
    expect(await denial(prodOnly, 'GenerateDataKey', { KeyId: 'alias/app', EncryptionContext: { env: 'dev' } })).toContain("required value of 'env'");
    expect(await denial(prodOnly, 'Decrypt', { CiphertextBlob: appBlob })).toContain('AccessDeniedException');
    const reEncrypt = { CiphertextBlob: appBlob, DestinationKeyId: 'alias/app', SourceEncryptionContext: { env: 'prod' } };
    expect(await denial(prodOnly, 'ReEncrypt', reEncrypt)).toContain('AccessDeniedException');
    expect(await denial(prodOnly, 'ReEncrypt', { ...reEncrypt, DestinationEncryptionContext: { env: 'prod' } })).toBeUndefined();
    expect(await denial(prodOnly, 'DescribeKey', { KeyId: 'alias/app' })).toBeUndefined();
  });
});

describe('parsePrincipals', () => {
  const secret = (ref: { secretAccessKey?: string; secretAccessKeyEnv?: string }) => ref.secretAccessKey ?? `from-${ref.secretAccessKeyEnv}`;
  const id = 'AKIAPARSE00000000001';

  it('reads roles, limits and secret references', () => {
    const [p] = parsePrincipals(JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKeyEnv: 'S', role: ['user', 'manager'], keys: ['alias/app'], context: { env: 'prod' } }] }), secret);
    expect(p).toEqual({ accessKeyId: id, secretAccessKey: 'from-S', roles: new Set(['user', 'manager']), keys: ['alias/app'], context: { env: 'prod' } });
  });

  it.each([
    ['not json', '{', 'is not valid JSON'],
    ['no list', '{"principals": []}', 'non-empty "principals" list'],
    ['bad role', JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKey: 'x', role: 'admin' }] }), 'unknown role'],
    ['two secrets', JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKey: 'x', secretAccessKeyEnv: 'S', role: 'user' }] }), 'exactly one of'],
    ['empty secret', JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKey: '', role: 'user' }] }), 'exactly one of'],
    ['bad id', JSON.stringify({ principals: [{ accessKeyId: 'short', secretAccessKey: 'x', role: 'user' }] }), 'accessKeyId must be'],
    ['bad context', JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKey: 'x', role: 'user', context: { env: 1 } }] }), 'context must be'],
    ['duplicate', JSON.stringify({ principals: [{ accessKeyId: id, secretAccessKey: 'x', role: 'user' }, { accessKeyId: id, secretAccessKey: 'y', role: 'manager' }] }), 'listed twice'],
  ])('refuses %s (ConfigError, no secret in the message)', (_name, text, message) => {
    let caught: unknown;
    try {
      parsePrincipals(text, secret);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).not.toMatch(/"secretAccessKey"/);
  });
});
