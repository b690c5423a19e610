'use strict';
// The floor under a local `keystash get` (bench/run.mjs times it beside the real one): only the
// work no CLI can skip — load node:crypto and node:sqlite, read the latest row of one name, read
// the keyring, one AES-256-GCM decryption (the unwrap), the HMAC check and the AES-256-CTR
// decryption, then print. No argument parsing, configuration, error handling or keystash code.
// The keys are random (the decryptions run on the real row's sizes but yield noise): this is a
// timing floor, not a reader. Needs node:sqlite (Node ≥ 22.13).
const crypto = require('node:crypto');
const { readFileSync } = require('node:fs');
const { DatabaseSync } = require('node:sqlite');

const home = process.env.KEYSTASH_HOME;
const db = new DatabaseSync(`${home}/store.db`);
db.exec('PRAGMA busy_timeout = 5000');
const row = db
  .prepare('SELECT key, contents, hmac FROM secrets WHERE tbl = ? AND name = ? ORDER BY version DESC LIMIT 1')
  .get('credential-store', process.argv[2]);
const keyring = JSON.parse(readFileSync(`${home}/keyring.json`, 'utf8'));
const wrapped = Buffer.from(row.key, 'base64');
const unwrap = crypto.createDecipheriv('aes-256-gcm', crypto.randomBytes(32), wrapped.subarray(0, 12));
const dataKey = Buffer.concat([unwrap.update(wrapped.subarray(12)), crypto.randomBytes(64)]).subarray(0, 64);
const contents = Buffer.from(row.contents, 'base64');
const mac = crypto.createHmac('sha256', dataKey.subarray(32)).update(contents).digest();
crypto.timingSafeEqual(mac, mac);
const value = crypto.createDecipheriv('aes-256-ctr', dataKey.subarray(0, 32), Buffer.alloc(16)).update(contents);
db.close();
process.stdout.write(Buffer.concat([value, Buffer.from(keyring ? '\n' : '')]));
