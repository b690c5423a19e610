/**
 * `keystash kms serve`: the local keyring over the AWS KMS JSON protocol until a signal stops it
 * (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR2, SIGALRM and every other catchable terminating one).
 * Process-level I/O (signals, key files), hence in src/cli/.
 *
 * The secret access key is read from KEYSTASH_KMS_SECRET_ACCESS_KEY or a file, never from argv
 * (every local user can read a process's command line in /proc). A non-loopback address needs
 * --allow-remote and TLS: every GenerateDataKey and Decrypt answer carries a plaintext data key.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { AuditLog } from '../localkms/audit-log.js';
import type { Principal } from '../kmsserver/principals.js';
import { loadPrincipals, readPrivateFile } from './kms-principals-file.js';
import type { CliDeps } from './deps.js';
import type { OptionsOf } from './grammar.js';
import type { Io } from './io.js';
import { FORWARDED_SIGNALS } from './signals.js';

/** The signals that stop `kms serve` (see serveKms). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = FORWARDED_SIGNALS.filter((s) => s !== 'SIGUSR1' && s !== 'SIGWINCH');

/** The options of `kms serve` as declared (command-grammar.ts); `--secret-access-key` is refused when given. */
export type ServeOptions = OptionsOf<'kms serve'>;

/**
 * True for a loopback address: `localhost`, a valid IPv4 address in 127.0.0.0/8 (RFC 1122
 * §3.2.1.3), `::1`, or 127.0.0.0/8 mapped into IPv6 (`::ffff:127.x.y.z`). `net.isIP` validates
 * the syntax first, so `127.0.0.256` is not one.
 */
/**
 * `--host` as an error may show it: an IP address (or what tries to be one, `127.0.0.256`) or
 * `localhost`; any other text may be a secret typed in the wrong place.
 */
function shownHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return host === 'localhost' || isIP(bare) !== 0 || /^\d+(\.\d+){3}$/.test(host) ? host : `the --host given (not shown, in case it is the secret)`;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const version = isIP(bare);
  if (version === 4) return bare.split('.')[0] === '127';
  if (version !== 6) return false;
  const lower = bare.toLowerCase();
  if (/^(0{0,4}:){2,7}0{0,3}1$/.test(lower) || lower === '::1') return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  return mapped !== undefined && isIP(mapped) === 4 && mapped.split('.')[0] === '127';
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'I/O error'}`);
  }
}

/** The accepted key pair: given (env or file) or generated; checks that nothing is empty. */
function keyPair(io: Io, options: ServeOptions): { accessKeyId: string; secretAccessKey: string; generated: boolean } {
  if (options.secretAccessKey !== undefined) {
    throw new UsageError('the secret access key is never taken on the command line (other local users can read it there); set KEYSTASH_KMS_SECRET_ACCESS_KEY or use --secret-access-key-file FILE');
  }
  // An empty secret would let anyone who knows the (public) access key id sign requests: refuse
  // an empty flag or file, and treat an empty variable as unset (a pair is then generated).
  if (options.accessKeyId === '') throw new UsageError('--access-key-id must not be empty');
  // The principals file's rule (own regular file, no group/other bits, no symlink): a file another
  // user can read or replace would give that user the server (issue 24 item 6).
  const fromFile = options.secretAccessKeyFile === undefined ? undefined : readPrivateFile(options.secretAccessKeyFile, 'secret access key file').replace(/\r?\n$/, '');
  if (fromFile === '') throw new UsageError(`secret access key file ${options.secretAccessKeyFile} is empty`);
  const givenId = options.accessKeyId ?? (io.env.KEYSTASH_KMS_ACCESS_KEY_ID || undefined);
  const givenSecret = fromFile ?? (io.env.KEYSTASH_KMS_SECRET_ACCESS_KEY || undefined);
  return {
    accessKeyId: givenId ?? `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: givenSecret ?? randomBytes(30).toString('base64'),
    generated: givenId === undefined || givenSecret === undefined,
  };
}

function tlsOptions(options: ServeOptions): { cert: string; key: string } | undefined {
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (options.tlsCert === undefined || options.tlsKey === undefined) return undefined;
  return { cert: readKeyFile(options.tlsCert, 'TLS certificate'), key: readKeyFile(options.tlsKey, 'TLS key') };
}

/** The server's principals (file) or single pair (flags/env, or generated and printed once). */
function serverCredentials(io: Io, options: ServeOptions): { server: { principals: Principal[] } | { accessKeyId: string; secretAccessKey: string }; generated?: string } {
  if (options.principals !== undefined) {
    if (options.accessKeyId !== undefined || options.secretAccessKeyFile !== undefined || options.secretAccessKey !== undefined) {
      throw new UsageError('--principals replaces --access-key-id and --secret-access-key-file; give one or the other');
    }
    return { server: { principals: loadPrincipals(options.principals, io.env) } };
  }
  const { accessKeyId, secretAccessKey, generated } = keyPair(io, options);
  const line = `generated credentials: AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey}\n`;
  return { server: { accessKeyId, secretAccessKey }, ...(generated ? { generated: line } : {}) };
}

/** Shorter secret access keys than this are warned about (AWS's are 40 characters; ours 40). */
const MIN_SECRET_LENGTH = 20;

/**
 * Warn (stderr, before the listening line) about a secret access key someone could guess: short,
 * or one of the placeholders people copy from examples. Whoever has the access key id (it is not
 * secret: it is in every request and the audit log) and guesses the secret has the server.
 */
function warnWeakSecrets(io: Io, pairs: ReadonlyArray<{ accessKeyId: string; secretAccessKey: string }>): void {
  for (const { accessKeyId, secretAccessKey } of pairs) {
    const placeholder = /^(change-?me|secret|password|test|example)$/i.test(secretAccessKey);
    if (secretAccessKey.length >= MIN_SECRET_LENGTH && !placeholder) continue;
    const why = placeholder ? 'is a placeholder' : `has only ${secretAccessKey.length} characters`;
    io.stderr.write(`keystash: warning: the secret access key of ${accessKeyId} ${why}: whoever guesses it can use and manage your keys; use a random one (openssl rand -hex 20)\n`);
  }
}

/** Serve until a signal arrives; resolves when the server has closed. */
export async function serveKms(deps: Pick<CliDeps, 'io' | 'openLocalKms' | 'auditLogPath'>, config: Config, options: ServeOptions): Promise<void> {
  const { io } = deps;
  const loopback = isLoopbackHost(options.host);
  if (!loopback && !options.allowRemote) {
    throw new UsageError(`refusing to listen on ${shownHost(options.host)}: the KMS server is loopback-only unless --allow-remote is given`);
  }
  const tls = tlsOptions(options);
  if (!loopback && tls === undefined) {
    throw new UsageError('--allow-remote needs --tls-cert and --tls-key: every GenerateDataKey and Decrypt answer carries a plaintext data key');
  }
  const credentials = serverCredentials(io, options);
  warnWeakSecrets(io, 'principals' in credentials.server ? credentials.server.principals : [credentials.server]);
  // Served bare: the server records each request itself, with its access key id and address.
  // No key is ever created for a client; the first start creates the keyring with alias/credstash's
  // key (in-process, as the owner, recorded as CreateKey by principal `local`).
  const kms = await deps.openLocalKms(config, { audited: false, createDefaultKey: false });
  try {
    await kms.createKeyringIfAbsent();
  } catch (err) {
    kms.close();
    throw err;
  }
  const { startKmsServer } = await import('../kmsserver/server.js');
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const audit = new AuditLog(deps.auditLogPath(config));
  let server: Awaited<ReturnType<typeof startKmsServer>>;
  try {
    server = await startKmsServer({ kms, host: options.host, port: options.port, ...credentials.server, audit, log, ...(tls === undefined ? {} : { tls }) });
  } catch (err) {
    kms.close();
    const shown = shownHost(options.host);
    const why = shown === options.host ? (err instanceof Error ? err.message : String(err)) : ((err as NodeJS.ErrnoException).code ?? 'error');
    throw new UsageError(`cannot listen on ${shown}:${options.port}: ${why}`);
  }
  // Every catchable signal whose default would end the process stops the server cleanly, so the
  // current minute's unauthenticated summary is written (at close) and the keyring closed: a HUP,
  // QUIT, USR2 or ALRM must not end it with the record lost. SIGUSR1 stays a no-op (the launcher's
  // listener keeps Node's inspector closed) and SIGWINCH is ignored, as by default.
  const closed = new Promise<void>((resolve) => {
    const stop = () => {
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      void server.close().catch(() => undefined).then(resolve);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
  });
  // One write, the listening line last: whoever waits for it has the generated pair too.
  const pair = credentials.generated ?? '';
  io.stderr.write(`${pair}keystash kms serve: listening on ${server.url} (keyring ${config.keyringPath})\n`);
  await closed;
  kms.close();
}
