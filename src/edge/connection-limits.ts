import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { RateLimiter } from '../http/rate-limiter.js';
import { rateLimitBucket, type Viewer } from '../policy/policy.js';

/** The code of every refusal below, in `extensions.code` over HTTP and in the close reason over graphql-ws. */
export const CONNECTION_LIMIT_CODES = {
  perAddress: 'TOO_MANY_CONNECTIONS',
  perMember: 'TOO_MANY_SOCKETS',
} as const;

/**
 * Close code for a graphql-ws `connection_init` refused by a limit: its member's socket cap or its
 * rate-limit bucket (graphql-ws's own 4429, as for a second `connection_init`; its client does not retry it).
 */
export const CONNECTION_LIMIT_CLOSE = 4429;

export interface ConnectionLimitsOptions {
  /**
   * TCP connections the server holds at once, from every address together (Node's
   * `maxConnections`): the next is dropped unanswered, before a byte is read. With `maxPerAddress`
   * it bounds the whole: no spread of addresses can open more. Default 16,384.
   */
  maxConnections?: number;
  /**
   * TCP connections one source address may hold open at once: HTTP keep-alive connections and
   * WebSockets alike (a WebSocket is an upgraded HTTP connection). IPv6 addresses count by their
   * /64, which one host usually holds whole. A connection over the cap is answered 429
   * `TOO_MANY_CONNECTIONS` (an upgrade too) and closed, its body unread. Default 128.
   */
  maxPerAddress?: number;
  /**
   * graphql-ws sockets one member may hold open at once, all its users, tokens and keys together.
   * The next `connection_init` is refused: the socket is closed with 4429. Anonymous sockets are
   * bounded by `maxPerAddress` only. Default 100.
   */
  maxSocketsPerMember?: number;
  /**
   * Longest a request may take to arrive, headers and body, ms (Node's `requestTimeout`, and its
   * `headersTimeout` for the headers alone, checked every `min(1 s, timeout / 4)`). Past it the
   * hub answers 408 and closes the connection. Default 30 s (Node's own: 300 s).
   */
  requestTimeoutMs?: number;
  /**
   * Where `connection_init` draws its token from: a bucket of its own per caller
   * ({@link connectBucketKey}), at `HUB_WS_CONNECT_RATE` and `HUB_WS_CONNECT_BURST`. Default: not rate-limited.
   */
  rateLimiter?: RateLimiter;
  /** Told when the rate limiter fails (a store outage): the socket is then let through, its operations still draw from the request bucket. */
  log?: Logger;
}

/** Default of {@link ConnectionLimitsOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 16_384;
/** Default of {@link ConnectionLimitsOptions.maxPerAddress}. */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 128;
/** Default of {@link ConnectionLimitsOptions.maxSocketsPerMember}. */
export const DEFAULT_MAX_SOCKETS_PER_MEMBER = 100;
/** Default of {@link ConnectionLimitsOptions.requestTimeoutMs}. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Caps on connections, counted where they are known: TCP connections per source address (from the
 * first byte, before anyone is authenticated), graphql-ws sockets per member (once its
 * `connection_init` is authenticated), and how long a request may take to arrive. Together with
 * the per-socket buffer cap (socket-guard.ts) and the 1 MB body and message caps they bound what
 * one address or member can make the hub hold (docs/limits.md, "Connections").
 *
 * The counters are written by hand (Node has only a server-wide `maxConnections`; ws none); the
 * deadlines are Node's own, the `connection_init` rate is the hub's store-backed RateLimiter.
 */
export class ConnectionLimits {
  readonly maxPerAddress: number;
  readonly maxSocketsPerMember: number;
  readonly requestTimeoutMs: number;
  private readonly perAddress = new Map<string, number>();
  private readonly overCap = new WeakSet<Socket>();
  private readonly perMember = new Map<string, number>();
  private readonly lastAnswer = new WeakMap<Socket, Promise<void>>();
  private readonly socketClosed = new WeakMap<Socket, Promise<void>>();

  constructor(private readonly options: ConnectionLimitsOptions = {}) {
    this.maxPerAddress = options.maxPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;
    this.maxSocketsPerMember = options.maxSocketsPerMember ?? DEFAULT_MAX_SOCKETS_PER_MEMBER;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * `http.createServer` options with the arrival deadlines: Node's `requestTimeout` and
   * `headersTimeout`, checked every `connectionsCheckingInterval` (Node's default is 30 s).
   */
  get serverOptions(): Pick<ServerOptions, 'requestTimeout' | 'headersTimeout' | 'connectionsCheckingInterval'> {
    return {
      requestTimeout: this.requestTimeoutMs,
      headersTimeout: this.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, this.requestTimeoutMs / 4)),
    };
  }

  /** Caps the server's connections, all and per address (created with {@link serverOptions}). */
  attach(server: Server): void {
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.on('connection', (socket: Socket) => {
      const key = addressKey(socket.remoteAddress);
      const open = (this.perAddress.get(key) ?? 0) + 1;
      this.perAddress.set(key, open);
      // Refused at its first request (a 429 the caller can read), not here: the HTTP parser owns the socket already.
      if (open > this.maxPerAddress) this.overCap.add(socket);
      socket.once('close', () => {
        const left = (this.perAddress.get(key) ?? 1) - 1;
        if (left <= 0) this.perAddress.delete(key);
        else this.perAddress.set(key, left);
      });
    });
  }

  /**
   * Waits until the answer before this request on its connection has been sent, and arms the
   * stall deadline of this one. HTTP/1.1 lets a client write requests back to back (pipelining)
   * and Node answers them in order: without this the hub would compute and hold every answer for a
   * client that reads none (40 pipelined 1.6 MB answers held 120 MB). So the hub holds one answer
   * per connection, and drops the connection when that answer makes no progress for
   * `requestTimeoutMs` (inactivity, not age: a slow reader is not cut). False when the connection
   * closed meanwhile: nothing is left to answer. The HTTP server awaits it before anything else.
   */
  async inTurn(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const socket = req.socket;
    const previous = this.lastAnswer.get(socket);
    this.lastAnswer.set(socket, new Promise<void>((resolve) => res.once('finish', resolve).once('close', resolve)));
    // 'prefinish': the answer is complete and is its connection's current one. Checked by hand, not
    // with the socket's timeout: Node resets that one when it parses the next pipelined request.
    res.once('prefinish', () => {
      if (res.writableFinished) return;
      let waiting = socket.writableLength;
      const watch = setInterval(() => {
        if (socket.writableLength < waiting) waiting = socket.writableLength;
        else socket.destroy();
      }, this.requestTimeoutMs).unref();
      const stop = () => clearInterval(watch);
      res.once('finish', stop).once('close', stop);
    });
    if (previous) await Promise.race([previous, this.closed(socket)]);
    return !socket.destroyed;
  }

  /** Resolves when `socket` closes (one listener per connection, however many requests wait on it). */
  private closed(socket: Socket): Promise<void> {
    let closed = this.socketClosed.get(socket);
    if (!closed) {
      closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      this.socketClosed.set(socket, closed);
    }
    return closed;
  }

  /**
   * Answers a request on a connection over its address's cap with 429 `TOO_MANY_CONNECTIONS` and
   * closes it, without reading the body; true when it did. The HTTP server calls it first.
   */
  refuseRequest(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.overCap.has(req.socket)) return false;
    const body = JSON.stringify({ errors: [{ message: this.perAddressMessage(), extensions: { code: CONNECTION_LIMIT_CODES.perAddress } }] });
    res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', connection: 'close', 'retry-after': '1' });
    res.end(body);
    return true;
  }

  /** ws's `verifyClient`: refuses an upgrade on a connection over its address's cap with 429. */
  readonly verifyClient = (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void): void => {
    if (this.overCap.has(info.req.socket)) done(false, 429, this.perAddressMessage());
    else done(true);
  };

  /**
   * Admits an authenticated graphql-ws socket: its `connection_init` takes a token from the
   * caller's connect bucket, and a member's socket counts against its cap until it closes. Returns
   * the close to end the socket with when refused (4429, reason `RATE_LIMITED: ...` or
   * `TOO_MANY_SOCKETS: ...`), else null. A rate limiter that fails (store outage) does not refuse.
   */
  async admitSocket(
    socket: { once(event: 'close', listener: () => void): unknown },
    viewer: Viewer,
    remoteAddress: string | undefined,
  ): Promise<{ code: number; reason: string } | null> {
    if (this.options.rateLimiter) {
      try {
        const decision = await this.options.rateLimiter.take(connectBucketKey(viewer, remoteAddress));
        if (!decision.ok) return { code: CONNECTION_LIMIT_CLOSE, reason: `RATE_LIMITED: retry in ${decision.retryAfterSeconds} s` };
      } catch (err) {
        this.options.log?.warn({ err: { message: (err as Error)?.message } }, 'connection_init rate limit unavailable; socket let through');
      }
    }
    if (viewer.kind !== 'member') return null;
    const key = viewer.memberId;
    const open = this.perMember.get(key) ?? 0;
    if (open >= this.maxSocketsPerMember) {
      return { code: CONNECTION_LIMIT_CLOSE, reason: `${CONNECTION_LIMIT_CODES.perMember}: a member may hold ${this.maxSocketsPerMember} sockets at once` };
    }
    this.perMember.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.perMember.get(key) ?? 1) - 1;
      if (left <= 0) this.perMember.delete(key);
      else this.perMember.set(key, left);
    });
    return null;
  }

  /** Open connections and sockets, for metrics and tests. */
  stats(): { addresses: number; connections: number; members: number; memberSockets: number } {
    let connections = 0;
    for (const n of this.perAddress.values()) connections += n;
    let memberSockets = 0;
    for (const n of this.perMember.values()) memberSockets += n;
    return { addresses: this.perAddress.size, connections, members: this.perMember.size, memberSockets };
  }

  private perAddressMessage(): string {
    return `Too many connections from your address: at most ${this.maxPerAddress} at once`;
  }
}

/** Whose connections count together: the IPv4 address, or the IPv6 /64 (an IPv4-mapped address is IPv4). */
export function addressKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  try {
    const address = ipaddr.process(remoteAddress);
    if (address.kind() === 'ipv4') return address.toString();
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`).toString()}/64`;
  } catch {
    return remoteAddress;
  }
}

/**
 * The rate-limit bucket a graphql-ws `connection_init` draws from: the caller's own (its member's,
 * else its address's), beside the one its requests draw from, so opening sockets does not spend
 * the budget of operations (docs/limits.md).
 */
export function connectBucketKey(viewer: Viewer, remoteAddress: string | undefined): string {
  return `connect:${rateLimitBucket(viewer, addressKey(remoteAddress))}`;
}
