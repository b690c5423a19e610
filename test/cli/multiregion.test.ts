/**
 * Multi-region (issue 23): two dynalite instances and two local KMS servers stand in for two
 * regions (us-east-1 home, eu-west-1 fallback), region 1's behind fault proxies so it can be
 * killed or made to fail. Rows reach region 2 by a stream-free copy (dynalite has no global
 * tables). The key is a multi-region key (`mrk-`) replicated into region 2's keyring.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer, type KmsServer } from '../../src/kmsserver/server.js';
import { startDynalite, type DynaliteHandle } from '../helpers/dynalite.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { inProcessHome, type InProcessHome } from '../helpers/in-process.js';
import { tempDir } from '../helpers/run-cli.js';

const table = `mr-${Date.now().toString(36)}`;
const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const secretAccessKey = randomBytes(30).toString('base64');
const credentials = { accessKeyId, secretAccessKey };
const keyrings = tempDir('keystash-mr-kms-');
const kmsLog2: string[] = [];

let ddb1: DynaliteHandle;
let ddb2: DynaliteHandle;
let kms1: LocalKms;
let kms2: LocalKms;
let srv1: KmsServer;
let srv2: KmsServer;
let ddbProxy1: FaultProxy;
let kmsProxy1: FaultProxy;
let h: InProcessHome;

const aws = (args: string[], input?: string, env: Record<string, string> = {}) =>
  h.run(['--backend', 'aws', '-t', table, '--timeout', '4', ...args], { ...(input === undefined ? {} : { input }), env });

/** Copy every row of region 1's table to region 2's (what a global table would do). */
async function copyRows(): Promise<number> {
  const from = new DynamoDBClient({ region: 'us-east-1', endpoint: ddb1.endpoint, credentials });
  const to = new DynamoDBClient({ region: 'eu-west-1', endpoint: ddb2.endpoint, credentials });
  try {
    const items: Array<Record<string, AttributeValue>> = (await from.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
    for (const Item of items) await to.send(new PutItemCommand({ TableName: table, Item }));
    return items.length;
  } finally {
    from.destroy();
    to.destroy();
  }
}

function region1(dead: boolean): void {
  ddbProxy1.setDead(dead);
  kmsProxy1.setDead(dead);
}

beforeAll(async () => {
  [ddb1, ddb2] = await Promise.all([startDynalite(), startDynalite()]);
  kms1 = LocalKms.open({ path: join(keyrings.dir, 'r1', 'keyring.json'), region: 'us-east-1' });
  kms2 = LocalKms.open({ path: join(keyrings.dir, 'r2', 'keyring.json'), region: 'eu-west-1' });
  const mrk = await kms1.createKey({ alias: 'alias/credstash', multiRegion: true, description: 'multi-region test key' });
  await kms1.replicateKey(mrk.keyId, kms2.path, 'eu-west-1');
  await kms2.createAlias('alias/credstash', mrk.keyId);
  srv1 = await startKmsServer({ kms: kms1, accessKeyId, secretAccessKey });
  srv2 = await startKmsServer({ kms: kms2, accessKeyId, secretAccessKey, log: (line) => void kmsLog2.push(line) });
  ddbProxy1 = await startFaultProxy({ target: ddb1.endpoint, service: 'dynamodb' });
  kmsProxy1 = await startFaultProxy({ target: srv1.url, service: 'kms' });
  h = inProcessHome({
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    KEYSTASH_REGIONS: 'us-east-1,eu-west-1',
    KEYSTASH_DYNAMODB_ENDPOINT_US_EAST_1: ddbProxy1.endpoint,
    KEYSTASH_KMS_ENDPOINT_US_EAST_1: kmsProxy1.endpoint,
    KEYSTASH_DYNAMODB_ENDPOINT_EU_WEST_1: ddb2.endpoint,
    KEYSTASH_KMS_ENDPOINT_EU_WEST_1: srv2.url,
  });
  // The table in each region (setup of the home region, then of region 2 alone).
  expect((await aws(['setup'])).code).toBe(0);
  const second = await aws(['--regions', 'eu-west-1', 'setup']);
  expect(second.code, second.stderr).toBe(0);
  for (const [name, value] of [['app.db', 'one'], ['app.api', 'two']] as const) {
    const put = await aws(['put', name, value]);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stderr).not.toContain('answered');
  }
  expect(await copyRows()).toBe(2);
}, 60_000);

afterAll(async () => {
  h?.cleanup();
  await Promise.all([ddbProxy1?.stop(), kmsProxy1?.stop()]);
  await Promise.all([srv1?.close(), srv2?.close()]);
  kms1?.close();
  kms2?.close();
  await Promise.all([ddb1?.stop(), ddb2?.stop()]);
  keyrings.cleanup();
});

describe('multi-region: region 1 down', () => {
  it('with both regions up, reads come from the home region and say nothing', async () => {
    region1(false);
    const r = await aws(['get', 'app.db']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('one\n');
    expect(r.stderr).toBe('');
  });

  it('get, getall, exec and export succeed from region 2 (its KMS replica decrypts) and name it', async () => {
    region1(true);
    try {
      const before = kmsLog2.filter((l) => l.includes('Decrypt')).length;
      const get = await aws(['get', 'app.db']);
      expect(get.code, get.stderr).toBe(0);
      expect(get.stdout).toBe('one\n');
      expect(get.stderr).toContain('DynamoDB in us-east-1 is unavailable; region eu-west-1 answered');
      // The row written in region 1 was unwrapped by region 2's KMS (region 1's is dead).
      expect(kmsLog2.filter((l) => l.includes('Decrypt')).length).toBeGreaterThan(before);

      const all = await aws(['getall']);
      expect(all.code, all.stderr).toBe(0);
      expect(JSON.parse(all.stdout)).toEqual({ 'app.api': 'two', 'app.db': 'one' });
      expect(all.stderr).toContain('region eu-west-1 answered');

      const out = join(keyrings.dir, 'exec-out');
      const exec = await aws(['exec', 'app.db', '--', process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], process.env.APP_DB ?? "unset")', out]);
      expect(exec.code, exec.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('one');
      expect(exec.stderr).toContain('region eu-west-1 answered');

      const exp = await aws(['export', 'app.*', '-f', 'dotenv']);
      expect(exp.code, exp.stderr).toBe(0);
      expect(exp.stdout).toContain('APP_API=');
      expect(exp.stdout).toContain('two');
      expect(exp.stderr).toContain('region eu-west-1 answered');

      const debug = await aws(['--debug', 'get', 'app.api']);
      expect(debug.code).toBe(0);
      expect(debug.stderr).toMatch(/getLatest in us-east-1 failed: .*(reach|answer)/);
    } finally {
      region1(false);
    }
  });

  it('region 1 stalled (accepts, never answers): the deadline ends it and region 2 answers', async () => {
    const sockets: Socket[] = [];
    const stall = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
    try {
      const r = await h.run(['--backend', 'aws', '-t', table, '--timeout', '2', 'getall'], {
        env: { KEYSTASH_DYNAMODB_ENDPOINT_US_EAST_1: url, KEYSTASH_KMS_ENDPOINT_US_EAST_1: url },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ 'app.api': 'two', 'app.db': 'one' });
      expect(r.stderr).toContain('DynamoDB in us-east-1 is unavailable; region eu-west-1 answered');
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => stall.close(() => resolve()));
    }
  }, 30_000);

  it('region 1 killed mid-run: requests after its death are answered by region 2', async () => {
    // Let the first DynamoDB request through, then region 1 dies (in-flight and new connections cut).
    ddbProxy1.dieAfter(1);
    kmsProxy1.setDead(true);
    const out = join(keyrings.dir, 'exec-mid');
    try {
      const r = await aws(['exec', 'app.db', 'app.api', '--', process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], `${process.env.APP_DB}/${process.env.APP_API}`)', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe('one/two');
      expect(r.stderr).toContain('region eu-west-1 answered');
      expect(ddbProxy1.stats().forwarded).toBeGreaterThan(0);
    } finally {
      ddbProxy1.reset();
      region1(false);
    }
  });

  it('a region answering 5xx (after the SDK retries) falls back as well', async () => {
    ddbProxy1.setRate(1, { '5xx': 1 });
    try {
      const r = await aws(['get', 'app.api']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('two\n');
      expect(r.stderr).toContain('region eu-west-1 answered');
    } finally {
      ddbProxy1.reset();
    }
  }, 60_000);

  it('put with region 1 down fails clearly unless --any-region', async () => {
    region1(true);
    try {
      // The data key is asked of the home region's KMS first: KMS out, exit 7.
      const refused = await aws(['put', 'app.new', 'three']);
      expect(refused.code).toBe(7);
      expect(refused.stderr).toContain('(KMS:');
      expect(refused.stderr).toContain('home region us-east-1 is unavailable');
      expect(refused.stderr).toContain('--any-region');
      // Only DynamoDB out: the put itself is refused, exit 8.
      kmsProxy1.setDead(false);
      const refusedStore = await aws(['put', 'app.new', 'three']);
      expect(refusedStore.code).toBe(8);
      expect(refusedStore.stderr).toContain('home region us-east-1 is unavailable (DynamoDB:');
      kmsProxy1.setDead(true);
      const allowed = await aws(['--any-region', 'put', 'app.new', 'three']);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stderr).toContain('region eu-west-1 answered');
      const back = await aws(['get', 'app.new']);
      expect(back.stdout).toBe('three\n');
    } finally {
      region1(false);
    }
    // Back up: the home region does not have it (verify and replicate are the repair).
    // An answer of the home region (not found) is final: no fallback to the region that has it.
    const home = await aws(['get', 'app.new']);
    expect(home.code).toBe(3);
    expect(home.stderr).not.toContain('answered');
  });

  it('a bad --regions value is a usage error', async () => {
    const r = await aws(['--regions', 'us-east-1,$(rm -rf x)', 'get', 'app.db']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid regions');
  });
});

describe('multi-region: replicate and verify', () => {
  it('replicate --to-region copies the missing versions; twice copies nothing the second time', async () => {
    const put = await aws(['put', 'app.third', 'four']);
    expect(put.code, put.stderr).toBe(0);
    const first = await aws(['replicate', '--to-region', 'eu-west-1', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ copied: 1, present: 2, diverged: [], failed: [] });
    const second = await aws(['replicate', '--to-region', 'eu-west-1', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ copied: 0, present: 3 });
    // The copy (an MRK row, wrapped key copied as is) reads in region 2 alone.
    const there = await aws(['--regions', 'eu-west-1', 'get', 'app.third']);
    expect(there.stdout).toBe('four\n');
  });

  it('verify finds a planted divergence and a region missing versions, and says how to repair', async () => {
    const ddb = new DynamoDBClient({ region: 'eu-west-1', endpoint: ddb2.endpoint, credentials });
    try {
      const key = { name: { S: 'app.db' }, version: { S: '0000000000000000001' } };
      const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: key }))).Item;
      expect(item).toBeDefined();
      await ddb.send(new PutItemCommand({ TableName: table, Item: { ...item, contents: { S: Buffer.from('planted').toString('base64') } } }));
    } finally {
      ddb.destroy();
    }
    const r = await aws(['verify']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('DIVERGED  app.db version 0000000000000000001: us-east-1 differs from eu-west-1');
    expect(r.stdout).toContain('repair:');
    // app.new was written in eu-west-1 only (--any-region, above).
    expect(r.stdout).toContain('missing   us-east-1 lacks 1');
    expect(r.stderr).toContain('diverged across regions');
    // replicate never overwrites the diverged version.
    const rep = await aws(['replicate', '--to-region', 'eu-west-1', '--json']);
    expect(rep.code).not.toBe(0);
    expect(JSON.parse(rep.stdout)).toMatchObject({ copied: 0, diverged: [{ name: 'app.db', version: '0000000000000000001' }] });
  });
});

describe('setup --replica-region', () => {
  it('a single-region key is reported as not convertible, with the one rotate command, and nothing is changed', async () => {
    await kms1.createKey({ alias: 'alias/single', description: 'single-region key' });
    const r = await aws(['setup', '--replica-region', 'eu-west-1', '-k', 'alias/single']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot convert: KMS key');
    expect(r.stderr).toContain('single-region key');
    expect(r.stderr).toContain('keystash rotate --all --all-versions --key mrk-');
    expect(r.stderr).toContain('Nothing was changed');
    expect(r.stderr).toContain(`turn on streams (NEW_AND_OLD_IMAGES) of table ${table}`);
  });

  it('the local backend is told to use kms replicate-key and replicate --to-data-dir', async () => {
    const local = inProcessHome();
    try {
      const r = await local.run(['setup', '--replica-region', 'eu-west-1']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('kms replicate-key');
    } finally {
      local.cleanup();
    }
  });
});

describe('replicate between data directories (local backend)', () => {
  it('a single-region key needs --rewrap-key; with it the copy is made once, then nothing', async () => {
    const local = inProcessHome();
    const standby = tempDir('keystash-standby-');
    try {
      expect((await local.run(['put', 'db.pw', 's3cret'])).code).toBe(0);
      const asIs = await local.run(['replicate', '--to-data-dir', standby.dir, '--json']);
      expect(asIs.code).not.toBe(0);
      expect(asIs.stderr).toContain('--rewrap-key');
      expect(JSON.parse(asIs.stdout)).toMatchObject({ copied: 0 });
      const first = await local.run(['replicate', '--to-data-dir', standby.dir, '--rewrap-key', 'alias/credstash', '--json']);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ copied: 1, present: 0 });
      const second = await local.run(['replicate', '--to-data-dir', standby.dir, '--rewrap-key', 'alias/credstash', '--json']);
      expect(JSON.parse(second.stdout)).toMatchObject({ copied: 0, present: 1 });
      const read = await local.run(['--data-dir', standby.dir, 'get', 'db.pw']);
      expect(read.stdout).toBe('s3cret\n');
    } finally {
      local.cleanup();
      standby.cleanup();
    }
  });
});
