/**
 * Loopback HTTP server speaking the AWS KMS JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: TrentService.<Op>`, `Content-Type: application/x-amz-json-1.1`) over a local
 * KeyService & KeyManager, so a real `KMSClient` can be pointed at it (docs/conventions.md §5, §11).
 * Every request must carry a valid SigV4 signature of a known principal (principals.ts), whose
 * role and limits decide what it may do; every authenticated request is appended to the audit
 * log when one is given (one line, written before the answer leaves: fail closed), and requests
 * that fail authentication are counted per address and minute (audit-record.ts). Errors are
 * AWS-shaped (`{"__type","message"}` + `x-amzn-ErrorType`) so the SDK raises its own exception
 * classes. One log line per request: operation, status, milliseconds, key id — never plaintext,
 * ciphertext blobs or encryption-context values.
 */
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { findOperation } from './operations.js';
import type { LocalKeyStore } from './operations.js';
import { AwsError, toAwsError } from './protocol.js';
import { newAliasTargetArn, recordRequest, targetKeyArn, UnauthenticatedSummary } from './audit-record.js';
import { ConnectionGuard } from './connection-guard.js';
import { hasErrorCode, KmsError } from '../errors.js';
import type { JsonObject } from './protocol.js';
import { verifySigV4 } from './sigv4.js';
import { authorize, keyMembersOf, principalsByAccessKey, singlePrincipal } from './principals.js';
import type { Principal } from './principals.js';
import type { AuditLog } from '../localkms/audit-log.js';

/** Options of {@link startKmsServer}. */
interface KmsServerOptions {
  /** The key store served (e.g. LocalKms); the server never constructs one itself. */
  kms: LocalKeyStore;
  /** Listen address; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Listen port; default 0 = a free port. */
  port?: number;
  /**
   * The one key pair whose SigV4 signatures are accepted, as a `user`+`manager` principal
   * limited to nothing; ignored when `principals` is given.
   */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** The principals accepted, each with its role and limits. */
  principals?: readonly Principal[];
  /** Where every request is recorded (principal, operation, key, context keys, outcome). */
  audit?: AuditLog;
  /** When set, requests must be signed for this region; by default any region is accepted. */
  region?: string;
  /** Request body cap, enforced while streaming; default 64 KiB. */
  maxBodyBytes?: number;
  /** Receives one line per request. */
  log?: (line: string) => void;
  /** PEM certificate (chain) and private key: serve HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
  /** Open connections accepted at once (default 256); more are dropped by the server. */
  maxConnections?: number;
  /**
   * Connections that have not yet sent a verified request, at once (default: three quarters of
   * `maxConnections`, leaving the rest to authenticated clients) and per source address (default:
   * half of that). When full, the oldest unauthenticated connection is closed to admit a new one.
   */
  maxUnauthenticated?: number;
  maxUnauthenticatedPerAddress?: number;
  /** Time a client has to send its headers (default 10 s) and its whole request (default 20 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

/** A running server. */
export interface KmsServer {
  /** `http://host:port` (`https://` with TLS) — the `endpoint` for a KMSClient. */
  url: string;
  port: number;
  /** Stop listening and close open (keep-alive) connections. */
  close(): Promise<void>;
}

interface ServerContext {
  kms: LocalKeyStore;
  maxBodyBytes: number;
  principals: ReadonlyMap<string, Principal>;
  region: string | undefined;
  audit: AuditLog | undefined;
  /** Requests that failed authentication, counted per address and minute. */
  unauthenticated: UnauthenticatedSummary | undefined;
  log: (line: string) => void;
  guard: ConnectionGuard;
}

/** Operations that change a key or an alias: not carried out unless the audit log can be written. */
const MANAGEMENT_OPS = new Set(['CreateKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'EnableKey', 'DisableKey', 'EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand']);

/** Per-request facts for the log line (safe values only). */
interface RequestInfo {
  op: string;
  keyId?: string;
  error?: string;
  /** Verified access key id (a claimed one is never kept). */
  accessKeyId?: string;
  /** Set once the signature is verified: only then is the request recorded on its own. */
  authenticated?: boolean;
  input?: JsonObject;
  output?: JsonObject;
  /** The ARN of the key a management request names, for its record (audit-record.ts targetKeyArn). */
  keyArn?: string | undefined;
  /** UpdateAlias: the ARN of its new target (audit-record.ts newAliasTargetArn). */
  newTargetArn?: string | undefined;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_MAX_CONNECTIONS = 256;
/** A client has this long to send its headers, and the whole request (slow-loris bound). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 20_000;
/** Bytes past the cap still read and discarded so the 413 reaches the client before the close. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'TrentService.';
const JSON_CONTENT_TYPES = ['application/x-amz-json-1.1', 'application/json'];
const TOO_LARGE = Symbol('tooLarge');
const ABUSIVE = Symbol('abusive');

/** Read the body, enforcing the cap while streaming. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | typeof TOO_LARGE | typeof ABUSIVE> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBytes + DRAIN_LIMIT_BYTES) return resolve(ABUSIVE);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes + DRAIN_LIMIT_BYTES) resolve(ABUSIVE);
      else if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      if (size > maxBytes) return resolve(TOO_LARGE);
      const body = Buffer.concat(chunks);
      for (const chunk of chunks) chunk.fill(0); // bodies may hold Encrypt plaintext
      resolve(body);
    });
    req.on('error', reject);
    req.on('close', () => {
      // Never seen by the client (it is gone); only names the log line.
      if (!req.complete) reject(new AwsError('RequestAborted', 'The client closed the connection before the body was complete.'));
    });
  });
}

function send(res: ServerResponse, status: number, body: JsonObject, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: AwsError, close: boolean): void {
  const headers: Record<string, string> = { 'x-amzn-ErrorType': error.type };
  if (close) headers['Connection'] = 'close';
  send(res, error.status, { __type: error.type, message: error.message }, headers);
}

/** A log-safe rendering of a client-supplied identifier (no control characters, bounded). */
function printable(text: string, max = 256): string {
  return text.replace(/[^\x21-\x7e]/g, '?').slice(0, max);
}

function operationName(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
}

function parseInput(req: IncomingMessage, body: Uint8Array): JsonObject {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_CONTENT_TYPES.includes(contentType)) {
    throw new AwsError('SerializationException', 'Content-Type must be application/x-amz-json-1.1.');
  }
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Start of structure or map found where not expected.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as JsonObject;
}

/** The key a request is about, for the log line: only members the operation uses (keyMembersOf). */
function requestKeyOf(op: string, input: JsonObject): string | undefined {
  for (const member of keyMembersOf(op)) {
    const value = input[member];
    if (typeof value === 'string') return printable(value);
  }
  return undefined;
}

/** The key a response names (CreateKey's new key, a cryptographic answer's key), for the log line. */
function responseKeyOf(output: JsonObject): string | undefined {
  const meta = output['KeyMetadata'];
  const nested = typeof meta === 'object' && meta !== null ? (meta as JsonObject)['KeyId'] : undefined;
  for (const value of [output['KeyId'], nested]) {
    if (typeof value === 'string') return printable(value);
  }
  return undefined;
}

/** Authenticate, parse and run one request; resolves with the response members. */
async function serve(ctx: ServerContext, req: IncomingMessage, info: RequestInfo): Promise<JsonObject> {
  const body = await readBody(req, ctx.maxBodyBytes);
  if (body === TOO_LARGE || body === ABUSIVE) {
    throw new AwsError('RequestEntityTooLargeException', `The request body exceeds the limit of ${ctx.maxBodyBytes} bytes.`, 413);
  }
  try {
    const caller = await verifySigV4(
      { method: req.method ?? '', url: req.url ?? '/', rawHeaders: req.rawHeaders, body },
      { lookupSecret: (id) => ctx.principals.get(id)?.secretAccessKey, service: 'kms', ...(ctx.region === undefined ? {} : { region: ctx.region }) },
    );
    const principal = ctx.principals.get(caller.accessKeyId)!;
    info.accessKeyId = caller.accessKeyId;
    info.authenticated = true;
    ctx.guard.trust(req.socket);
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || path !== '/') {
      throw new AwsError('UnknownOperationException', `KMS operations are POST requests to /, not ${printable(req.method ?? '').slice(0, 16)} ${printable(path).slice(0, 64)}.`);
    }
    const operation = findOperation(info.op);
    if (operation === undefined) throw new AwsError('UnknownOperationException', `Unknown operation '${info.op}'.`);
    const input = parseInput(req, body);
    info.input = input;
    info.keyId = requestKeyOf(info.op, input);
    if (ctx.audit !== undefined) {
      info.keyArn = await targetKeyArn(ctx.kms, info.op, input);
      info.newTargetArn = await newAliasTargetArn(ctx.kms, info.op, input);
    }
    await authorize(ctx.kms, principal, info.op, input);
    // Fail closed before a change: a key or alias change whose record cannot be written is not made.
    if (ctx.audit !== undefined && MANAGEMENT_OPS.has(info.op)) ctx.audit.checkWritable();
    const output = await operation(ctx.kms, input);
    info.output = output;
    info.keyId = responseKeyOf(output) ?? info.keyId;
    return output;
  } finally {
    body.fill(0);
  }
}

async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  const info: RequestInfo = { op: printable(operationName(req), 64) };
  let status: number;
  try {
    const output = await serve(ctx, req, info);
    if (ctx.audit !== undefined) recordRequest(ctx.audit, req, info, undefined); // authenticated: serve() got this far
    status = 200;
    send(res, status, output);
  } catch (err) {
    if (ctx.audit !== undefined && info.authenticated !== true) ctx.unauthenticated?.note(req.socket.remoteAddress, toAwsError(err).type);
    else if (ctx.audit !== undefined && !(err instanceof KmsError && hasErrorCode(err, ['kms.audit']))) {
      try {
        recordRequest(ctx.audit, req, info, toAwsError(err).type);
      } catch (auditErr) {
        err = auditErr;
      }
    }
    const error = toAwsError(err);
    info.error = error.type === 'KMSInternalException' && err instanceof Error ? `${error.type}(${printable(err.name, 64)})` : error.type;
    status = error.status;
    if (!res.headersSent && !res.destroyed) sendError(res, error, status === 413);
  }
  const ms = Math.round(performance.now() - started);
  const key = info.keyId === undefined ? '' : ` key=${info.keyId}`;
  const error = info.error === undefined ? '' : ` error=${info.error}`;
  ctx.log(`kms op=${info.op || '-'} status=${status} ms=${ms}${key}${error}`);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Start the local KMS server. Resolves once listening; `url` is the endpoint to give a
 * KMSClient (with `accessKeyId`/`secretAccessKey` as its credentials).
 */
export async function startKmsServer(options: KmsServerOptions): Promise<KmsServer> {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const maxUnauthenticated = options.maxUnauthenticated ?? Math.max(1, maxConnections - Math.floor(maxConnections / 4));
  const guard = new ConnectionGuard({
    maxUnauthenticated,
    maxUnauthenticatedPerAddress: options.maxUnauthenticatedPerAddress ?? Math.max(1, Math.ceil(maxUnauthenticated / 2)),
  });
  const ctx: ServerContext = {
    guard,
    kms: options.kms,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    principals: principalsByAccessKey(options.principals ?? [singlePrincipal(options.accessKeyId ?? '', options.secretAccessKey ?? '')]),
    region: options.region,
    audit: options.audit,
    unauthenticated: undefined,
    log: options.log ?? (() => {}),
  };
  if (options.audit !== undefined) {
    ctx.unauthenticated = new UnauthenticatedSummary(options.audit, { onError: (err) => ctx.log(`kms audit summary not written: ${err instanceof KmsError ? err.code : 'error'}`) });
  }
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    guard.started(req.socket);
    handleRequest(ctx, req, res).catch(() => res.destroy());
  };
  const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS, headersTimeout);
  // Node enforces both timeouts only at this interval (default 30 s), so it is tied to them.
  const timing = { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout) };
  const server: Server = options.tls === undefined ? createServer(timing, handler) : createHttpsServer({ ...timing, cert: options.tls.cert, key: options.tls.key }, handler);
  server.maxConnections = maxConnections;
  // The raw TCP socket, also under TLS (a slow TLS handshake is unauthenticated too).
  server.on('connection', (socket: Socket) => guard.admit(socket));
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          ctx.unauthenticated?.flush();
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
