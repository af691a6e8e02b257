import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from 'pino';
import type { HubContext } from '../context.js';
import type { GraphiqlPage } from '../graphiql/graphiql-page.js';
import type { ConnectionLimits } from '../edge/connection-limits.js';
import { rateLimitedError, rateLimitKey, type RateLimiter } from './rate-limiter.js';

/** Largest request body the hub reads, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpServerOptions {
  apollo: ApolloServer<HubContext>;
  /** Builds a request's context; throw a GraphQLError with extensions.http.status to refuse it. */
  context: (req: IncomingMessage, requestId: string) => Promise<HubContext>;
  log: Logger;
  /** Answers `GET /healthz`. */
  health: () => Promise<{ ok: boolean; [key: string]: unknown }>;
  /**
   * Every `/graphql` request takes a token from its caller's bucket once authenticated (the
   * member's, else the remote IP's); an empty bucket answers 429 with `Retry-After`. Default: no limit.
   */
  rateLimiter?: RateLimiter;
  /** Serves GraphiQL: `GET /graphql` from a browser and `/graphiql/assets/*`. Default: none. */
  graphiql?: GraphiqlPage;
  /**
   * Further front doors by path prefix (`/taxii2/` answers `/taxii2` too), tried before the 404.
   * A handler writes the whole response; a throw is logged and answered 500. Default: none.
   */
  mounts?: ReadonlyArray<{ prefix: string; handle: (req: IncomingMessage, res: ServerResponse, requestId: string, url: URL) => Promise<void> }>;
  /** Connections per address and the request arrival deadline (src/edge/connection-limits.ts). Default: Node's (none, 300 s). */
  connectionLimits?: ConnectionLimits;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // discard the rest: the 413 goes out with connection: close
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Not req.destroy(): that would kill the socket before the 413 could be sent.
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** RATE_LIMITED, as Apollo answers it: 429 with `Retry-After` (seconds), also in `extensions.retryAfter`. */
function rateLimited(retryAfterSeconds: number) {
  const error = rateLimitedError(retryAfterSeconds);
  (error.extensions as Record<string, unknown>).http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
  return error;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The hub's HTTP front: `/graphql` through Apollo, `/healthz`, and 404 for the rest. */
export function createHttpServer(options: HttpServerOptions): Server {
  const { apollo, log } = options;

  async function admit(req: IncomingMessage, requestId: string): Promise<HubContext> {
    const context = await options.context(req, requestId);
    const decision = await options.rateLimiter?.take(rateLimitKey(context.viewer, req.socket.remoteAddress));
    if (decision && !decision.ok) throw rateLimited(decision.retryAfterSeconds);
    return context;
  }

  async function graphql(req: IncomingMessage, res: ServerResponse, requestId: string, url: URL): Promise<void> {
    let body: unknown = undefined;
    // Who is asking, and whether its bucket has a token, before its body is read (docs/limits.md,
    // "Connections"): a refused caller's body is never buffered, and Apollo answers the refusal.
    const admitted = admit(req, requestId);
    const refused = await admitted.then(() => false, () => true);
    if (refused) res.setHeader('connection', 'close');
    if (req.method === 'POST' && !refused) {
      const text = await readBody(req);
      const type = req.headers['content-type'] ?? '';
      if (type.includes('application/json') && text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          return sendJson(res, 400, { errors: [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
        }
      } else body = text;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: () => admitted,
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  const server = createServer({ ...options.connectionLimits?.serverOptions }, async (req, res) => {
    if (options.connectionLimits?.refuseRequest(req, res)) return;
    if (options.connectionLimits && !(await options.connectionLimits.inTurn(req, res))) return;
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', requestId);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://hub.invalid');
    } catch {
      // e.g. a request target of `//`: a throw here would be an unhandled rejection (process exit).
      return sendJson(res, 400, { error: 'bad request' });
    }
    try {
      if (options.graphiql?.handles(req, url)) return await options.graphiql.serve(req, res, url);
      if (url.pathname === '/graphql') return await graphql(req, res, requestId, url);
      const mount = options.mounts?.find((m) => url.pathname.startsWith(m.prefix) || `${url.pathname}/` === m.prefix);
      if (mount) return await mount.handle(req, res, requestId, url);
      if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
        const health = await options.health();
        return sendJson(res, health.ok ? 200 : 503, { status: health.ok ? 'ok' : 'unavailable', ...health });
      }
      sendJson(res, 404, { error: 'not found' });
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        return sendJson(res, 413, { errors: [{ message: `The request body exceeds ${MAX_BODY_BYTES} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }, { connection: 'close' });
      }
      log.error({ err, requestId }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    }
  });
  options.connectionLimits?.attach(server);
  return server;
}
