/**
 * The project's local KMS served over the AWS protocol, in-process, for integration tests:
 * a temp keyring (LocalKms) with keys behind `alias/credstash` and `alias/other`, served by
 * src/kmsserver on a free loopback port with a random key pair.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer as startServer } from '../../src/kmsserver/server.js';

/** A running test KMS server. */
export interface TestKmsServer {
  /** `http://127.0.0.1:<port>` for KMSClient's `endpoint`. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temp directory holding `keyring.json`. */
  home: string;
  /** Request log lines (op, status, ms, key id) written so far. */
  log: string[];
  stop(): Promise<void>;
}

/** Region used in the keys' ARNs and by test clients. */
export const TEST_KMS_REGION = 'us-east-1';

const MAX_LOG_LINES = 10_000;

/** Start a fresh keyring and server; `stop()` closes the server and deletes the directory. */
export async function startKmsServer(): Promise<TestKmsServer> {
  const home = await mkdtemp(join(tmpdir(), 'keystash-kms-'));
  const kms = LocalKms.open({ path: join(home, 'keyring.json'), region: TEST_KMS_REGION });
  await kms.createKey({ alias: 'alias/credstash', description: 'test default key' });
  await kms.createKey({ alias: 'alias/other', description: 'test second key' });
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const log: string[] = [];
  const record = (line: string): void => {
    if (log.push(line) > MAX_LOG_LINES) log.shift();
  };
  const server = await startServer({ kms, accessKeyId, secretAccessKey, log: record });
  return {
    endpoint: server.url,
    accessKeyId,
    secretAccessKey,
    home,
    log,
    async stop() {
      await server.close();
      kms.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
