'use strict';
// Floors under keystash's start-up targets (bench/run.mjs times them beside the real commands):
// the work each command cannot skip without dropping a guarantee, written as one flat script with
// no keystash code, no argument parsing and no error handling. What keystash costs above a floor is
// its own code; a floor above a target means the target cannot be met without giving up what the
// floor does.
//
//   node bench/floors.cjs get NAME      latest row of NAME, keyring read and checked, one unwrap,
//                                       one audit record (chained to the log's last line), HMAC
//                                       check, AES-256-CTR, print
//   node bench/floors.cjs put NAME      as get, but: a fresh 64-byte data key wrapped under the
//                                       master key, AES-256-CTR + HMAC of the value from stdin,
//                                       next version, one INSERT committed with synchronous=FULL
//   node bench/floors.cjs getall        every latest row: per row one unwrap, one audit record and
//                                       one keyring check (as keystash does per Decrypt), HMAC,
//                                       AES-256-CTR; dotenv lines printed at the end
//   node bench/floors.cjs aws-get NAME  the AWS SDK's DynamoDB Query (latest version) and KMS
//                                       Decrypt through dist/bundle/aws-sdk.cjs, HMAC, AES-256-CTR
//
// Local floors read KEYSTASH_HOME's store.db and keyring.json with what keystash checks before it
// trusts them (a store header, the schema pragmas, the keyring's owner and mode). The unwrap runs
// on the real wrapped key's sizes under a random key, so it yields noise (AES-GCM without its tag
// check): a timing floor, not a reader. The audit records go to floor-audit.jsonl (not keystash's
// log). Needs node:sqlite (Node >= 22.13) for the local floors. FLOOR_LEAN=1: the audit file stays
// open between records and the keyring is checked once (what a per-batch design would save).
const crypto = require('node:crypto');
const fs = require('node:fs');

const LEAN = process.env.FLOOR_LEAN === '1';

const [mode, name] = process.argv.slice(2);
const home = process.env.KEYSTASH_HOME;

if (mode === 'aws-get') {
  awsGet().catch((error) => {
    process.stderr.write(`${error}\n`);
    process.exitCode = 1;
  });
} else {
  local();
}

function local() {
  const { DatabaseSync } = require('node:sqlite');
  fs.existsSync(`${process.env.HOME}/.config/keystash/config.json`); // the config file, if any
  const dir = fs.lstatSync(home); // the data directory: owned by this user, not a symlink
  if (dir.uid !== process.getuid() || dir.isSymbolicLink()) throw new Error('data dir');
  const header = Buffer.alloc(16);
  const hfd = fs.openSync(`${home}/store.db`, 'r');
  fs.readSync(hfd, header, 0, 16, 0);
  fs.closeSync(hfd);
  if (header.toString('latin1') !== 'SQLite format 3\0') throw new Error('not SQLite');
  const db = new DatabaseSync(`${home}/store.db`);
  db.exec('PRAGMA busy_timeout = 5000');
  db.prepare('SELECT (SELECT application_id FROM pragma_application_id) AS app, (SELECT user_version FROM pragma_user_version) AS version, (SELECT count(*) FROM sqlite_schema) AS objects').get();
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  const keyring = readKeyring();
  const audit = auditLog(`${home}/floor-audit.jsonl`);
  const master = crypto.randomBytes(32);
  if (mode === 'get') {
    const row = db.prepare('SELECT key, contents, hmac FROM secrets WHERE tbl = ? AND name = ? ORDER BY version DESC LIMIT 1').get('credential-store', name);
    const value = openRow(row, master, keyring, audit);
    db.close();
    process.stdout.write(Buffer.concat([value, Buffer.from('\n')]));
  } else if (mode === 'put') {
    const text = fs.readFileSync(0);
    const latest = db.prepare('SELECT version FROM secrets WHERE tbl = ? AND name = ? ORDER BY version DESC LIMIT 1').get('credential-store', name);
    const version = String(latest ? Number(latest.version) + 1 : 1).padStart(19, '0');
    const dataKey = crypto.randomBytes(64);
    const nonce = crypto.randomBytes(12);
    const wrap = crypto.createCipheriv('aes-256-gcm', master, nonce);
    wrap.setAAD(Buffer.from('keystash-local'));
    const wrapped = Buffer.concat([Buffer.alloc(20), nonce, wrap.update(dataKey), wrap.final(), wrap.getAuthTag()]);
    audit('GenerateDataKey');
    const contents = crypto.createCipheriv('aes-256-ctr', dataKey.subarray(0, 32), Buffer.alloc(16, 0)).update(text);
    const hmac = crypto.createHmac('sha256', dataKey.subarray(32)).update(contents).digest('hex');
    dataKey.fill(0);
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO secrets (tbl, name, version, key, contents, hmac, digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      'credential-store', name, version, wrapped.toString('base64'), contents.toString('base64'), hmac, 'SHA256', new Date().toISOString(),
    );
    db.exec('COMMIT');
    db.close();
    process.stderr.write(`${name} has been stored (version ${version})\n`);
  } else if (mode === 'getall') {
    const rows = db.prepare('SELECT name, version, key, contents, hmac FROM secrets WHERE tbl = ? ORDER BY name, version DESC').all('credential-store');
    const lines = [];
    let previous;
    for (const row of rows) {
      if (row.name === previous) continue;
      previous = row.name;
      if (!LEAN) readKeyring(true);
      lines.push(`${row.name.toUpperCase().replace(/\W/g, '_')}='${openRow(row, master, keyring, audit).toString('utf8')}'`);
    }
    db.close();
    process.stdout.write(`${lines.join('\n')}\n`);
  } else {
    throw new Error(`unknown floor ${mode}`);
  }
}

/** The keyring as keystash trusts it: no symlink, owned by this user, 0600; `statOnly`: the per-Decrypt recheck. */
function readKeyring(statOnly = false) {
  const path = `${home}/keyring.json`;
  if (statOnly) {
    const st = fs.lstatSync(path, { bigint: true });
    if (Number(st.uid) !== process.geteuid() || (Number(st.mode) & 0o077) !== 0) throw new Error('keyring');
    return undefined;
  }
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  const st = fs.fstatSync(fd, { bigint: true });
  if (Number(st.uid) !== process.geteuid() || (Number(st.mode) & 0o077) !== 0) throw new Error('keyring');
  const parsed = JSON.parse(fs.readFileSync(fd, 'utf8'));
  fs.closeSync(fd);
  return parsed;
}

/** One audit record per call, chained to the last line of the log, one write(2) each. */
function auditLog(path) {
  let last;
  let held;
  return (eventName) => {
    const fd = held ?? fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
    const st = fs.fstatSync(fd);
    let prev = last !== undefined && last.end === st.size ? last.link : undefined;
    if (prev === undefined && st.size > 0) {
      const tail = Buffer.allocUnsafe(Math.min(st.size, 2048));
      const got = tail.subarray(0, fs.readSync(fd, tail, 0, tail.length, st.size - tail.length));
      const end = got.lastIndexOf(0x0a);
      prev = crypto.createHash('sha256').update(got.subarray(got.lastIndexOf(0x0a, end - 1) + 1, end)).digest('hex').slice(0, 32);
    }
    const record = {
      eventVersion: '1.0',
      eventTime: new Date().toISOString(),
      eventSource: 'kms.keystash.local',
      eventName,
      userIdentity: { type: 'LocalProcess', accessKeyId: 'local' },
      sourceIPAddress: 'local',
      requestParameters: { keyId: 'alias/credstash' },
      outcome: 'ok',
      resources: [{ type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:local:000000000000:key/00000000-0000-4000-8000-000000000000' }],
      prev,
    };
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    fs.writeSync(fd, line);
    if (LEAN) held = fd;
    else fs.closeSync(fd);
    last = { end: st.size + line.length, link: crypto.createHash('sha256').update(line.subarray(0, -1)).digest('hex').slice(0, 32) };
  };
}

/** Unwrap (noise), audit, HMAC check, AES-256-CTR: the plaintext bytes. */
function openRow(row, master, keyring, audit) {
  const wrapped = Buffer.from(row.key, 'base64');
  const unwrap = crypto.createDecipheriv('aes-256-gcm', master, wrapped.subarray(20, 32));
  const dataKey = Buffer.concat([unwrap.update(wrapped.subarray(32)), crypto.randomBytes(64)]).subarray(0, 64);
  audit('Decrypt');
  const contents = Buffer.from(row.contents, 'base64');
  const mac = crypto.createHmac('sha256', dataKey.subarray(32)).update(contents).digest();
  crypto.timingSafeEqual(mac, mac);
  const value = crypto.createDecipheriv('aes-256-ctr', dataKey.subarray(0, 32), Buffer.alloc(16)).update(contents);
  dataKey.fill(0);
  return keyring === null ? undefined : value;
}

/** DynamoDB Query for the latest version and KMS Decrypt of its key through the AWS SDK (keystash's SDK bundle). */
async function awsGet() {
  const sdk = require('../dist/bundle/aws-sdk.cjs');
  const { DynamoDBClient, QueryCommand } = sdk['@aws-sdk/client-dynamodb'];
  const { KMSClient, DecryptCommand } = sdk['@aws-sdk/client-kms'];
  const region = process.env.AWS_REGION;
  const dynamo = new DynamoDBClient({ region, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
  const kms = new KMSClient({ region, endpoint: process.env.AWS_ENDPOINT_URL_KMS });
  const { Items } = await dynamo.send(
    new QueryCommand({
      TableName: process.env.KEYSTASH_TABLE ?? 'credential-store',
      KeyConditionExpression: '#n = :n',
      ExpressionAttributeNames: { '#n': 'name' },
      ExpressionAttributeValues: { ':n': { S: name } },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const item = Items[0];
  const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(item.key.S, 'base64') }));
  const dataKey = Buffer.from(Plaintext);
  const contents = Buffer.from(item.contents.S, 'base64');
  const mac = crypto.createHmac('sha256', dataKey.subarray(32)).update(contents).digest('hex');
  if (mac !== (item.hmac.S ?? Buffer.from(item.hmac.B).toString('latin1'))) throw new Error('hmac'); // B: the hex text's bytes
  const value = crypto.createDecipheriv('aes-256-ctr', dataKey.subarray(0, 32), Buffer.from([...Buffer.alloc(15), 1])).update(contents);
  dataKey.fill(0);
  dynamo.destroy();
  kms.destroy();
  process.stdout.write(Buffer.concat([value, Buffer.from('\n')]));
}
