/**
 * A policy-enforcing HTTP proxy for the IAM tests: listens on 127.0.0.1:0 in front of dynalite or
 * the local KMS server, records every API call keystash makes (action, resource, request context)
 * and lets it through only when `authorize` says so; otherwise it answers as AWS does,
 * HTTP 400 `AccessDeniedException` "User: … is not authorized to perform: ACTION on resource: …".
 * DynamoDB calls are decided before they are forwarded (a denied PutItem must not write); KMS calls
 * have no side effects here and are decided after, when the response names the key's ARN (a failed
 * Decrypt names none: it is decided on the key of the last successful call, and a denial replaces
 * the target's error, as AWS checks authorization before it decrypts).
 * The Host header is kept, so SigV4 signatures still verify at the target.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One API call as IAM sees it. */
export interface ApiCall {
  /** e.g. `dynamodb:Query`, `kms:Decrypt`. */
  action: string;
  resource: string;
  /** Condition keys of the request (`dynamodb:LeadingKeys`, `kms:EncryptionContext:app`, …). */
  context: Record<string, string | string[]>;
  allowed?: boolean;
}

export interface PolicyProxyOptions {
  target: string;
  service: 'dynamodb' | 'kms';
  region: string;
  account: string;
  /** Decides each call; undefined lets everything through (recording only). */
  authorize?: ((call: ApiCall) => Promise<boolean>) | undefined;
}

export interface PolicyProxy {
  endpoint: string;
  calls: ApiCall[];
  setAuthorize(authorize: PolicyProxyOptions['authorize']): void;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

/** The partition key values (`name`) a DynamoDB request touches: dynamodb:LeadingKeys. */
function leadingKeys(action: string, body: Json): string[] {
  const key = (body.Key ?? body.Item) as { name?: { S?: string } } | undefined;
  if (key?.name?.S !== undefined) return [key.name.S];
  if (action === 'Query') {
    const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (body.ExpressionAttributeValues ?? {}) as Record<string, { S?: string }>;
    const expression = String(body.KeyConditionExpression ?? '');
    for (const match of expression.matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
      const attribute = names[match[1] ?? ''] ?? match[1];
      const value = values[match[2] ?? '']?.S;
      if (attribute === 'name' && value !== undefined) return [value];
    }
  }
  return [];
}

function dynamoCall(action: string, body: Json, options: PolicyProxyOptions): ApiCall {
  const table = String(body.TableName ?? '*');
  const keys = leadingKeys(action, body);
  return {
    action: `dynamodb:${action}`,
    resource: `arn:aws:dynamodb:${options.region}:${options.account}:table/${table}`,
    context: keys.length > 0 ? { 'dynamodb:LeadingKeys': keys } : {},
  };
}

function kmsCall(action: string, body: Json, response: Json, options: PolicyProxyOptions, lastKeyId: string | undefined): ApiCall {
  const keyId = String(response.KeyId ?? body.KeyId ?? lastKeyId ?? '*');
  const keyPart = keyId.startsWith('arn:') ? keyId.slice(keyId.indexOf(':key/') + 1) : `key/${keyId}`;
  const context: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries((body.EncryptionContext ?? {}) as Record<string, string>)) context[`kms:EncryptionContext:${k}`] = v;
  const contextKeys = Object.keys((body.EncryptionContext ?? {}) as Json);
  if (contextKeys.length > 0) context['kms:EncryptionContextKeys'] = contextKeys;
  return { action: `kms:${action}`, resource: `arn:aws:kms:${options.region}:${options.account}:${keyPart}`, context };
}

/** Start a proxy in front of `options.target`. */
export async function startPolicyProxy(options: PolicyProxyOptions): Promise<PolicyProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const calls: ApiCall[] = [];
  let authorize = options.authorize;
  let lastKeyId: string | undefined;
  const jsonType = options.service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';

  const deny = (res: ServerResponse, call: ApiCall): void => {
    const type = options.service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#AccessDeniedException' : 'AccessDeniedException';
    const message = `User: arn:aws:sts::${options.account}:assumed-role/keystash-test/session is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action`;
    const body = JSON.stringify({ __type: type, message, Message: message });
    res.writeHead(400, { 'content-type': jsonType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'policy-proxy' });
    res.end(body);
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; data: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      delete headers.connection;
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('error', reject);
        upRes.on('end', () => {
          const upHeaders: Record<string, string | string[] | undefined> = { ...upRes.headers };
          for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete upHeaders[h];
          const data = Buffer.concat(chunks);
          upHeaders['content-length'] = String(data.length);
          resolve({ status: upRes.statusCode ?? 502, headers: upHeaders, data });
        });
      });
      out.on('error', reject);
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    const action = amzTarget.slice(amzTarget.indexOf('.') + 1);
    const request = (body.length > 0 ? JSON.parse(body.toString('utf8')) : {}) as Json;
    if (options.service === 'dynamodb') {
      const call = dynamoCall(action, request, options);
      call.allowed = authorize ? await authorize(call) : true;
      calls.push(call);
      if (!call.allowed) return deny(res, call);
      const up = await forward(req, body);
      res.writeHead(up.status, up.headers);
      res.end(up.data);
      return;
    }
    const up = await forward(req, body);
    const response = (up.status === 200 && up.data.length > 0 ? JSON.parse(up.data.toString('utf8')) : {}) as Json;
    if (typeof response.KeyId === 'string') lastKeyId = response.KeyId;
    const call = kmsCall(action, request, response, options, lastKeyId);
    call.allowed = authorize ? await authorize(call) : true;
    calls.push(call);
    if (!call.allowed) return deny(res, call);
    res.writeHead(up.status, up.headers);
    res.end(up.data);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => req.socket.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    setAuthorize: (next) => void (authorize = next),
    stop: async () => {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
