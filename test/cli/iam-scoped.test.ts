/**
 * Scoped IAM policies (`iam-policy reader|writer --context k=v --prefix P`) enforced on the API
 * calls keystash really makes: the CLI (in-process; `exec` as a process) talks to dynalite and
 * the project's KMS server through policy proxies (test/helpers/policy-proxy.ts) that record every
 * call and decide it with the
 * IAM policy evaluator @cloud-copilot/iam-simulate, answering AccessDeniedException as AWS does.
 * The evaluator's unvalidated entry point (runUnsafeSimulation) is used because its validated one
 * drops `kms:EncryptionContext:<key>` request keys (it only expands variable keys written with
 * `/`); KMS calls are evaluated with the default key policy (delegation to the account's IAM).
 */
import { createValidatedPolicy, validateResourcePolicy } from '@cloud-copilot/iam-policy';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { startPolicyProxy, type ApiCall, type PolicyProxy } from '../helpers/policy-proxy.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const table = `iam-${Date.now().toString(36)}`;
const KEY_POLICY = createValidatedPolicy(
  { Version: '2012-10-17', Statement: [{ Sid: 'EnableIamPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] },
  validateResourcePolicy,
  { name: 'DefaultKeyPolicy' },
);

let dynamo: PolicyProxy;
let kms: PolicyProxy;
let h: ReturnType<typeof inProcessHome>;
let proxyEnv: Record<string, string>;
const aws = (args: string[], input?: string): Promise<CliResult> => h.run(['--backend', 'aws', '-t', table, '-r', REGION, ...args], input === undefined ? {} : { input });
/** The same as a process of the built CLI: `exec` hands the child its own stdout. */
const awsProcess = (args: string[]): Promise<CliResult> =>
  runCli(['--backend', 'aws', '-t', table, '-r', REGION, ...args], { env: { HOME: h.dir, KEYSTASH_HOME: h.home, ...proxyEnv } });

/** An authorizer for `policy`: every call evaluated as the role `policy` is attached to. */
function enforce(policy: unknown): (call: ApiCall) => Promise<boolean> {
  return async (call) => {
    const isKms = call.action.startsWith('kms:');
    // The test keyring's default key carries the alias keystash uses by default.
    const contextVariables = isKms ? { ...call.context, 'kms:ResourceAliases': ['alias/credstash'] } : call.context;
    const result = runUnsafeSimulation(
      {
        request: { principal: `arn:aws:iam::${ACCOUNT}:role/keystash-scoped`, action: call.action, resource: { resource: call.resource, accountId: ACCOUNT }, contextVariables },
        identityPolicies: [{ name: 'keystash', policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(isKms ? { resourcePolicy: KEY_POLICY } : {}),
      },
      {},
    );
    return result === 'Allowed';
  };
}

async function policyFor(role: 'reader' | 'writer'): Promise<unknown> {
  const r = await aws(['iam-policy', role, '--account-id', ACCOUNT, '--context', 'app=web', '--prefix', 'web.']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function scopeTo(policy: unknown | undefined): void {
  const authorize = policy === undefined ? undefined : enforce(policy);
  dynamo.setAuthorize(authorize);
  kms.setAuthorize(authorize);
  dynamo.calls.length = 0;
  kms.calls.length = 0;
}

beforeAll(async () => {
  dynamo = await startPolicyProxy({ target: inject('dynamoEndpoint'), service: 'dynamodb', region: REGION, account: ACCOUNT });
  kms = await startPolicyProxy({ target: inject('kmsEndpoint'), service: 'kms', region: REGION, account: ACCOUNT });
  proxyEnv = {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
    AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  h = inProcessHome(proxyEnv);
  // As an unrestricted admin: the table and the secrets.
  expect((await aws(['setup'])).code).toBe(0);
  for (const [name, value, context] of [['web.db', 'web-db-pw', 'app=web'], ['web.api', 'web-api-key', 'app=web'], ['other.x', 'other-secret', 'app=other']] as const) {
    const r = await aws(['put', name, value, context]);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(async () => {
  h.cleanup();
  await dynamo.stop();
  await kms.stop();
});

describe('iam-policy reader --context app=web --prefix web.', () => {
  it('allows exactly the named-secret reads with that context (get, export, exec), each call checked', async () => {
    scopeTo(await policyFor('reader'));
    expect((await aws(['get', 'web.db', 'app=web'])).stdout).toBe('web-db-pw\n');
    const exported = await aws(['export', 'web.db', 'web.api', '-f', 'json', '--context', 'app=web']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual({ 'web.api': 'web-api-key', 'web.db': 'web-db-pw' });
    const exec = await awsProcess(['exec', 'web.db', '--context', 'app=web', '--', process.execPath, '-e', 'process.stdout.write(process.env.WEB_DB)']);
    expect(exec.stdout).toBe('web-db-pw');
    const calls = [...dynamo.calls, ...kms.calls];
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.every((c) => c.allowed)).toBe(true);
    expect(new Set(calls.map((c) => c.action))).toEqual(new Set(['dynamodb:Query', 'kms:Decrypt']));
  });

  it.each([
    ['get without the context', ['get', 'web.db'], 7, /kms:Decrypt.*iam-policy --context/],
    ['get outside the prefix', ['get', 'other.x', 'app=other'], 8, /dynamodb:Query.*iam-policy --prefix/],
    ['getall (a Scan)', ['getall', 'app=web'], 8, /dynamodb:Scan.*give exact secret names instead of a glob, --all, list or keys/],
    ['a glob', ['export', 'web.*', '-f', 'json', '--context', 'app=web'], 8, /dynamodb:Scan.*exact secret names/],
    ['list', ['list'], 8, /dynamodb:Scan/],
    ['keys', ['keys'], 8, /dynamodb:Scan/],
    ['put (a reader)', ['put', 'web.new', 'v', 'app=web'], 7, /kms:GenerateDataKey/],
  ] as const)('refuses %s, naming the missing permission and what to do', async (_label, args, code, message) => {
    scopeTo(await policyFor('reader'));
    const r = await aws([...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect([...dynamo.calls, ...kms.calls].some((c) => !c.allowed)).toBe(true);
  });
});

describe('iam-policy writer --context app=web --prefix web.', () => {
  it('writes and reads named secrets under the prefix with the context', async () => {
    scopeTo(await policyFor('writer'));
    const put = await aws(['put', 'web.new', 'fresh', 'app=web']);
    expect(put.code, put.stderr).toBe(0);
    expect((await aws(['get', 'web.new', 'app=web'])).stdout).toBe('fresh\n');
    expect([...dynamo.calls, ...kms.calls].every((c) => c.allowed)).toBe(true);
    expect(new Set([...dynamo.calls, ...kms.calls].map((c) => c.action))).toEqual(new Set(['dynamodb:Query', 'dynamodb:PutItem', 'kms:GenerateDataKey', 'kms:Decrypt']));
  });

  it.each([
    ['put outside the prefix', ['put', 'other.y', 'v', 'app=web'], 8, /dynamodb:(Query|PutItem)/],
    ['put with another context', ['put', 'web.z', 'v', 'app=other'], 7, /kms:GenerateDataKey/],
    ['delete (an admin action)', ['delete', 'web.db'], 8, /dynamodb:DeleteItem/],
  ] as const)('refuses %s', async (_label, args, code, message) => {
    scopeTo(await policyFor('writer'));
    const r = await aws([...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
