import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from 'pino';
import { GraphQLError } from 'graphql';
import type { HubContext } from '../context.js';
import { codeOf } from '../edge/error-catalogue.js';
import type { EdgePipeline } from '../edge/pipeline.js';
import type { ConnectionLimits } from '../edge/connection-limits.js';
import type { GraphiqlPage } from '../graphiql/graphiql-page.js';
import { withHttpHead } from './limits-plugin.js';

/** Largest request body the hub reads, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpServerOptions {
  apollo: ApolloServer<HubContext>;
  /**
   * The edge pipeline: every `/graphql` request is admitted by it (authentication, anonymous
   * reads, the rate limit: a refusal answers with the catalogue's status, 429 with `Retry-After`
   * for an empty bucket) before Apollo reads the operation.
   */
  pipeline: EdgePipeline;
  log: Logger;
  /** Answers `GET /healthz`. */
  health: () => Promise<{ ok: boolean; [key: string]: unknown }>;
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

/** Whether a failure is the client's connection ending under the request (Node's "aborted", ECONNRESET). */
function clientGone(req: IncomingMessage, err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err instanceof Error && err.message === 'aborted');
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The hub's HTTP front: `/graphql` through Apollo, `/healthz`, and 404 for the rest. */
export function createHttpServer(options: HttpServerOptions): Server {
  const { apollo, log } = options;

  async function graphql(req: IncomingMessage, res: ServerResponse, requestId: string, url: URL): Promise<void> {
    const { pipeline } = options;
    const trace = pipeline.begin('http', requestId);
    try {
      // Admitted before the body is read: a caller who may not read (or whose bucket is empty)
      // never has its body buffered; Node discards the unread body as the refusal goes out.
      let admitted: HubContext | GraphQLError;
      try {
        const viewer = await pipeline.admit({ transport: 'http', authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress, requestId });
        admitted = pipeline.context(viewer, requestId);
        pipeline.attach(admitted, trace);
      } catch (err) {
        trace.code = codeOf(err as GraphQLError);
        admitted = withHttpHead(err as GraphQLError);
        // And the connection ends with the refusal: Node would otherwise read the unread body (up to 1 MB) to discard it.
        if (req.method === 'POST') res.setHeader('connection', 'close');
      }
      let body: unknown = undefined;
      if (req.method === 'POST' && !(admitted instanceof GraphQLError)) {
        const text = await readBody(req);
        const type = req.headers['content-type'] ?? '';
        if (type.includes('application/json') && text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            trace.code = 'BAD_REQUEST';
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
        // Apollo answers a refusal thrown here with the error's `extensions.http` (withHttpHead).
        context: async () => {
          if (admitted instanceof GraphQLError) throw admitted;
          return admitted;
        },
      });
      // Refused by Apollo before any operation (CSRF, batching, a GET mutation): BAD_REQUEST.
      if (trace.code === 'OK' && (response.status ?? 200) >= 400 && (response.status ?? 200) < 500) trace.code = 'BAD_REQUEST';
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      trace.code = err instanceof BodyTooLarge ? 'PAYLOAD_TOO_LARGE' : clientGone(req, err) ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
      throw err;
    } finally {
      pipeline.end(trace);
    }
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
      // A client hanging up mid-request is its doing, not the hub's: no error-level line.
      if (clientGone(req, err)) return void log.debug({ requestId }, 'client closed the connection mid-request');
      log.error({ err, requestId }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      else res.end();
    }
  });
  options.connectionLimits?.attach(server);
  return server;
}
