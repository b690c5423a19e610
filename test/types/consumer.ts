/**
 * A library consumer, type-checked (never run) by test/integration/library-types.test.ts with
 * ./tsconfig.json: the public API of `'keystash'` is typed, option objects reject unknown or
 * misspelled keys (each `@ts-expect-error` must meet an error, or tsc fails), and the errors are
 * classes for `instanceof`.
 */
import {
  createKeystash,
  Credstash,
  DecryptError,
  IntegrityError,
  Keystash,
  KeystashError,
  PartialFailureError,
  RotateFailedError,
  rotateSecrets,
  SecretNotFoundError,
  UsageError,
  VersionConflictError,
  VersionExistsError,
} from 'keystash';
import type { CreateKeystashOptions, CredstashNameVersion, CredstashOptions, EncryptionContext, PutOptions, RotateSummary, SecretMeta } from 'keystash';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_proof?: T): void {}

export async function library(): Promise<void> {
  const options: CreateKeystashOptions = { backend: 'aws', region: 'eu-west-1', table: 'prod', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
  const ks: Keystash = await createKeystash(options);
  // @ts-expect-error misspelled option
  await createKeystash({ bakend: 'aws' });
  // @ts-expect-error unknown backend
  await createKeystash({ backend: 'gcp' });
  // @ts-expect-error misspelled put option
  await ks.put('a', 'b', { comentt: 'x' });
  // @ts-expect-error versions are strings in the Keystash API
  await ks.get('a', { version: 1 });

  const put: PutOptions = { comment: 'c', context: { env: 'prod' }, expectVersion: '1' };
  assertType<Equals<Awaited<ReturnType<Keystash['put']>>, { name: string; version: string }>>();
  assertType<Equals<Awaited<ReturnType<Keystash['get']>>, string>>();
  assertType<Equals<Awaited<ReturnType<Keystash['getAll']>>, Array<[name: string, value: string]>>>();
  assertType<Equals<Awaited<ReturnType<Keystash['list']>>, SecretMeta[]>>();
  const { version } = await ks.put('a', 'b', put);
  const value: string = await ks.get('a', { version });
  void value;

  const summary: RotateSummary = await rotateSecrets(ks, { mode: 'reseal', names: ['a'] });
  void summary.rotated;
  ks.close();
}

export async function facade(): Promise<void> {
  const options: CredstashOptions = { table: 'credential-store', kmsKey: 'alias/credstash', awsOpts: { region: 'us-east-1' } };
  const credstash = new Credstash(options);
  // @ts-expect-error misspelled constructor option
  new Credstash({ tabel: 'x' });
  const context: EncryptionContext = { app: 'web' };
  await credstash.putSecret({ name: 'n', secret: 's', version: 1, context, digest: 'SHA256' });
  // @ts-expect-error misspelled parameter
  await credstash.getSecret({ nmae: 'n' });
  // @ts-expect-error getAllSecrets takes startsWith, not startWith
  await credstash.getAllSecrets({ startWith: 'app.' });
  // @ts-expect-error deleteSecret needs a version, as in nodecredstash
  await credstash.deleteSecret({ name: 'n' });
  assertType<Equals<Awaited<ReturnType<Credstash['getSecret']>>, string>>();
  assertType<Equals<Awaited<ReturnType<Credstash['getAllSecrets']>>, Record<string, string>>>();
  assertType<Equals<Awaited<ReturnType<Credstash['getAllVersions']>>, Array<{ version: string; secret: string }>>>();
  assertType<Equals<Awaited<ReturnType<Credstash['listSecrets']>>, CredstashNameVersion[]>>();
  assertType<Equals<Awaited<ReturnType<Credstash['getHighestVersion']>>, string>>();
  assertType<Equals<Awaited<ReturnType<Credstash['incrementVersion']>>, string>>();
  const next: string = await credstash.incrementVersion({ name: 'n' });
  await credstash.getAllSecrets({ version: next, context, startsWith: 'app.' });
  await credstash.getAllVersions({ name: 'n', limit: 2, context });
  await credstash.close();
}

export function errors(error: unknown): string | undefined {
  // Classes, constructible and usable with instanceof; all are KeystashErrors with a code.
  assertType<Equals<SecretNotFoundError extends KeystashError ? true : false, true>>();
  assertType<Equals<PartialFailureError extends Error ? true : false, true>>();
  const made: KeystashError = new SecretNotFoundError('x', '1');
  void made;
  if (error instanceof SecretNotFoundError) return `${error.code} ${error.secretName} ${error.version ?? 'latest'}`;
  if (error instanceof VersionExistsError) return error.version;
  if (error instanceof PartialFailureError) return error.failures[0]?.error.code;
  if (error instanceof RotateFailedError) return error.message;
  if (error instanceof VersionConflictError || error instanceof IntegrityError || error instanceof DecryptError || error instanceof UsageError) return error.code;
  if (error instanceof KeystashError) return error.code;
  return undefined;
}
