/**
 * `keystash kms serve`: the local keyring over the AWS KMS JSON protocol until SIGINT/SIGTERM.
 * Process-level I/O (signals), hence in src/cli/.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { openLocalKms } from './context.js';
import type { Io } from './io.js';

export interface ServeOptions {
  host: string;
  port: number;
  accessKeyId?: string;
  secretAccessKey?: string;
  allowRemote?: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/** Serve until a signal arrives; resolves when the server has closed. */
export async function serveKms(config: Config, io: Io, options: ServeOptions): Promise<void> {
  if (!LOOPBACK.test(options.host) && !options.allowRemote) {
    throw new UsageError(`refusing to listen on ${options.host}: the KMS server is loopback-only unless --allow-remote is given`);
  }
  // An empty secret would let anyone who knows the (public) access key id sign requests: refuse
  // an empty flag, and treat an empty variable as unset (a pair is then generated and printed).
  if (options.accessKeyId === '' || options.secretAccessKey === '') {
    throw new UsageError(`--${options.accessKeyId === '' ? 'access-key-id' : 'secret-access-key'} must not be empty`);
  }
  const givenId = options.accessKeyId ?? (io.env.KEYSTASH_KMS_ACCESS_KEY_ID || undefined);
  const givenSecret = options.secretAccessKey ?? (io.env.KEYSTASH_KMS_SECRET_ACCESS_KEY || undefined);
  const accessKeyId = givenId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = givenSecret ?? randomBytes(30).toString('base64');
  const kms = await openLocalKms(config);
  const { startKmsServer } = await import('../kmsserver/server.js');
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  let server: Awaited<ReturnType<typeof startKmsServer>>;
  try {
    server = await startKmsServer({ kms, host: options.host, port: options.port, accessKeyId, secretAccessKey, log });
  } catch (err) {
    kms.close();
    throw new UsageError(`cannot listen on ${options.host}:${options.port}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().catch(() => undefined).then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // One write, the listening line last: whoever waits for it has the generated pair too.
  const generated = givenId === undefined || givenSecret === undefined;
  const pair = generated ? `generated credentials: AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey}\n` : '';
  io.stderr.write(`${pair}keystash kms serve: listening on ${server.url} (keyring ${config.keyringPath})\n`);
  await closed;
  kms.close();
}
