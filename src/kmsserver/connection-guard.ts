/**
 * Capacity reserved for authenticated clients of the KMS server (issue 24, "flood"). A connection
 * is *unauthenticated* from its accept until it carries a request whose SigV4 signature verifies.
 * Unauthenticated connections are capped in total and per source address; when a cap is full the
 * oldest unauthenticated connection (of that address, else of all) is closed to admit the new one.
 *
 * Why eviction rather than refusal: a slow-connection flood (slowloris) holds connections open
 * without ever finishing a request. Refusing new connections at the cap hands the server to the
 * flood; closing the oldest pending one instead means a legitimate client, which sends its signed
 * request within milliseconds of connecting, is only lost if the flood opens a whole cap's worth
 * of connections during those milliseconds. Connections that have not even completed their
 * request headers (the slowloris shape; a legitimate client's headers come in its first packet)
 * are evicted before connections whose request is under way. Connections that have authenticated (SDK keep-alive)
 * are never evicted and keep the headroom between this cap and the server's total cap. The header
 * and request deadlines (server.ts) still bound every single slow connection.
 */
import type { Socket } from 'node:net';

/** Limits of {@link ConnectionGuard}. */
interface ConnectionGuardLimits {
  /** Unauthenticated connections at once, over all addresses. */
  maxUnauthenticated: number;
  /** Unauthenticated connections at once from one source address. */
  maxUnauthenticatedPerAddress: number;
}

interface Pending {
  socket: Socket;
  address: string;
  /** Its request headers are complete (a request is under way, not yet verified). */
  started: boolean;
}

/** Tracks unauthenticated connections and evicts the oldest when a cap is reached. */
export class ConnectionGuard {
  readonly #limits: ConnectionGuardLimits;
  /** By connection id (`address|port`), in accept order: the first is the oldest. */
  readonly #pending = new Map<string, Pending>();
  readonly #byAddress = new Map<string, Map<string, Pending>>();
  #evicted = 0;

  constructor(limits: ConnectionGuardLimits) {
    this.#limits = limits;
  }

  /** Unauthenticated connections open now. */
  get unauthenticated(): number {
    return this.#pending.size;
  }

  /** Unauthenticated connections closed to make room so far. */
  get evicted(): number {
    return this.#evicted;
  }

  /** A new connection (the raw TCP socket, also under TLS): admit it, evicting the oldest if full. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const id = connectionId(socket);
    const mine = this.#byAddress.get(address);
    if (mine !== undefined && mine.size >= this.#limits.maxUnauthenticatedPerAddress) this.#evictOldest(mine);
    else if (this.#pending.size >= this.#limits.maxUnauthenticated) this.#evictOldest(this.#pending);
    const entry: Pending = { socket, address, started: false };
    this.#pending.set(id, entry);
    const bucket = this.#byAddress.get(address) ?? new Map<string, Pending>();
    bucket.set(id, entry);
    this.#byAddress.set(address, bucket);
    socket.once('close', () => this.#forget(id, entry));
  }

  /** The connection carrying `socket` (raw or TLS) completed a request's headers: evict it last. */
  started(socket: Socket): void {
    const entry = this.#pending.get(connectionId(socket));
    if (entry !== undefined) entry.started = true;
  }

  /** The connection carrying `socket` (raw or TLS) sent a verified request: never evict it. */
  trust(socket: Socket): void {
    const id = connectionId(socket);
    const entry = this.#pending.get(id);
    if (entry !== undefined) this.#forget(id, entry);
  }

  /** Close the oldest connection of `from` that has not completed its headers, else the oldest. */
  #evictOldest(from: Map<string, Pending>): void {
    let victim: [string, Pending] | undefined;
    for (const pair of from) {
      victim ??= pair;
      if (!pair[1].started) {
        victim = pair;
        break;
      }
    }
    if (victim === undefined) return;
    const [id, entry] = victim;
    this.#forget(id, entry);
    this.#evicted += 1;
    entry.socket.destroy();
  }

  #forget(id: string, entry: Pending): void {
    if (this.#pending.get(id) !== entry) return;
    this.#pending.delete(id);
    const bucket = this.#byAddress.get(entry.address);
    bucket?.delete(id);
    if (bucket !== undefined && bucket.size === 0) this.#byAddress.delete(entry.address);
  }
}

/** One TCP connection's id: the same for the raw socket and the TLS socket over it. */
function connectionId(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}
