/**
 * A fault-injecting HTTP proxy for the reliability tests: listens on 127.0.0.1:0 and
 * forwards every request, unchanged (Host header included, so SigV4 signatures still verify), to
 * one target — dynalite or the local KMS server. For a configurable fraction of requests (decided
 * by a seeded PRNG, so a run is reproducible) or for the next N requests it answers instead with:
 *
 * - `throttle`: HTTP 400 with the service's throttling error (DynamoDB
 *   ProvisionedThroughputExceededException, KMS ThrottlingException) — both are in the SDK's
 *   THROTTLING_ERROR_CODES, so the standard retry strategy retries them (with the longer
 *   throttling backoff);
 * - `5xx`: HTTP 500 or 503 (transient status codes for the SDK);
 * - `drop`: the client socket destroyed before any response, the request never forwarded
 *   (the SDK sees ECONNRESET "socket hang up", a transient error);
 * - `lost`: the request IS forwarded and executed by the target, then the client socket is
 *   destroyed instead of relaying the response — the write happened but the client cannot know.
 *
 * `setDead(true)` (or `dieAfter(k)`) simulates a killed backend: every connection is destroyed on
 * arrival (and in-flight ones are cut) until `setDead(false)`.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind = 'throttle' | '5xx' | 'drop' | 'lost';
export type ProxyTarget = 'dynamodb' | 'kms';

export interface FaultProxyOptions {
  /** Where requests go, e.g. http://127.0.0.1:4567. */
  target: string;
  /** Which error bodies to inject. */
  service: ProxyTarget;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Fraction of requests to fault, 0..1 (default 0). */
  rate?: number;
  /** Relative weights of the fault kinds chosen at random (default throttle 1, 5xx 1, drop 1, lost 0). */
  weights?: Partial<Record<FaultKind, number>>;
  /** Only requests whose X-Amz-Target matches are faulted (default: all). */
  only?: RegExp;
}

export interface FaultStats {
  /** Requests received (including refused ones). */
  requests: number;
  /** Requests forwarded to the target. */
  forwarded: number;
  throttle: number;
  /** 500 and 503 answers. */
  http5xx: number;
  drop: number;
  lost: number;
  /** Requests/connections cut because the proxy was dead. */
  refused: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  stats(): FaultStats;
  /** Faults injected so far (throttle + 5xx + drop + lost; not `refused`). */
  injected(): number;
  setRate(rate: number, weights?: Partial<Record<FaultKind, number>>, only?: RegExp): void;
  /** Fault the next `n` (matching) requests with `kind`, regardless of the rate. */
  failNext(n: number, kind: FaultKind): void;
  setDead(dead: boolean): void;
  /** Let `k` more requests through, then die. */
  dieAfter(k: number): void;
  /** No faults, nothing queued, alive (counters are kept). */
  reset(): void;
  /** X-Amz-Target of every request seen (bounded to the last 10 000). */
  targets: string[];
  stop(): Promise<void>;
}

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_WEIGHTS: Record<FaultKind, number> = { throttle: 1, '5xx': 1, drop: 1, lost: 0 };
const MAX_TARGETS = 10_000;
const MAX_BODY = 4 * 1024 * 1024;

/** Start a proxy in front of `options.target`; `stop()` closes it and every socket it holds. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = seededRandom(options.seed ?? 1);
  let rate = options.rate ?? 0;
  let weights: Record<FaultKind, number> = { ...DEFAULT_WEIGHTS, ...options.weights };
  let only = options.only;
  const queued: FaultKind[] = [];
  let dead = false;
  let dieIn: number | undefined;
  const stats: FaultStats = { requests: 0, forwarded: 0, throttle: 0, http5xx: 0, drop: 0, lost: 0, refused: 0 };
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const upstream = new Agent({ keepAlive: true, maxSockets: 64 });
  const jsonType = options.service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';

  const pickKind = (): FaultKind => {
    const kinds = (Object.keys(weights) as FaultKind[]).filter((k) => weights[k] > 0);
    const total = kinds.reduce((sum, k) => sum + weights[k], 0);
    let r = random() * total;
    for (const k of kinds) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return kinds[kinds.length - 1] ?? 'drop';
  };

  /** The fault for this request, or undefined to forward it untouched. */
  const decide = (amzTarget: string): FaultKind | undefined => {
    if (only !== undefined && !only.test(amzTarget)) return undefined;
    if (queued.length > 0) return queued.shift();
    if (rate <= 0) return undefined;
    // Two draws per matching request whatever the outcome, so the sequence stays reproducible.
    const hit = random() < rate;
    const kind = pickKind();
    return hit ? kind : undefined;
  };

  const cut = (socket: Socket): void => {
    socket.destroy();
  };

  /** Die: refuse from now on and cut every open connection (in-flight requests included). */
  const goDead = (): void => {
    dead = true;
    dieIn = undefined;
    for (const s of sockets) s.destroy();
  };

  const answer = (res: ServerResponse, status: number, type: string, message: string): void => {
    const body = JSON.stringify({ __type: type, message });
    res.writeHead(status, { 'content-type': jsonType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': 'fault-proxy' });
    res.end(body);
  };

  const inject = (kind: FaultKind, req: IncomingMessage, res: ServerResponse): void => {
    if (kind === 'throttle') {
      stats.throttle++;
      if (options.service === 'dynamodb') {
        answer(res, 400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded (fault-proxy)');
      } else {
        answer(res, 400, 'ThrottlingException', 'Rate exceeded (fault-proxy)');
      }
      return;
    }
    if (kind === '5xx') {
      stats.http5xx++;
      const unavailable = random() < 0.5;
      if (options.service === 'dynamodb') {
        answer(res, unavailable ? 503 : 500, unavailable ? 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable' : 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'fault-proxy');
      } else {
        answer(res, unavailable ? 503 : 500, unavailable ? 'ServiceUnavailableException' : 'KMSInternalException', 'fault-proxy');
      }
      return;
    }
    stats.drop++;
    cut(req.socket);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, loseResponse: boolean): void => {
    stats.forwarded++;
    const headers = { ...req.headers };
    delete headers.connection;
    const out = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: upstream },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('error', () => cut(req.socket));
        upRes.on('end', () => {
          if (dead || loseResponse) {
            cut(req.socket);
            return;
          }
          const upHeaders = { ...upRes.headers };
          delete upHeaders.connection;
          delete upHeaders['keep-alive'];
          delete upHeaders['transfer-encoding'];
          const data = Buffer.concat(chunks);
          upHeaders['content-length'] = String(data.length);
          res.writeHead(upRes.statusCode ?? 502, upHeaders);
          res.end(data);
        });
      },
    );
    out.on('error', () => cut(req.socket));
    out.end(body);
  };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    if (targets.push(amzTarget) > MAX_TARGETS) targets.shift();
    if (dieIn !== undefined) {
      if (dieIn <= 0) goDead();
      else dieIn--;
    }
    if (dead) {
      stats.refused++;
      cut(req.socket);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) cut(req.socket);
      else chunks.push(c);
    });
    req.on('error', () => cut(req.socket));
    req.on('end', () => {
      if (dead) {
        stats.refused++;
        cut(req.socket);
        return;
      }
      const kind = decide(amzTarget);
      if (kind === undefined) return forward(req, res, Buffer.concat(chunks), false);
      if (kind === 'lost') {
        stats.lost++;
        return forward(req, res, Buffer.concat(chunks), true);
      }
      inject(kind, req, res);
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    if (dead) {
      stats.refused++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    targets,
    stats: () => ({ ...stats }),
    injected: () => stats.throttle + stats.http5xx + stats.drop + stats.lost,
    setRate(newRate, newWeights, newOnly) {
      rate = newRate;
      weights = { ...DEFAULT_WEIGHTS, ...newWeights };
      only = newOnly;
    },
    failNext(n, kind) {
      for (let i = 0; i < n; i++) queued.push(kind);
    },
    setDead(value) {
      if (value) goDead();
      else {
        dead = false;
        dieIn = undefined;
      }
    },
    dieAfter(k) {
      dieIn = k;
    },
    reset() {
      rate = 0;
      weights = { ...DEFAULT_WEIGHTS };
      only = undefined;
      queued.length = 0;
      dead = false;
      dieIn = undefined;
    },
    async stop() {
      dead = true;
      for (const s of sockets) s.destroy();
      upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
