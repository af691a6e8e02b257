import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { codeOf, httpStatusOf, INTERNAL, UNEXPECTED_MESSAGE } from '../edge/error-catalogue.js';
import type { EdgePipeline, RequestTrace } from '../edge/pipeline.js';
import { assertRole, type Viewer } from '../policy/policy.js';
import type { MispFeed } from './misp-feed.js';

/** Where a member's MISP feed is served: `manifest.json`, `<event uuid>.json`, `hashes.csv`. */
export const MISP_FEED_PREFIX = '/misp/feed/';

export interface MispFeedHandlerOptions {
  feed: MispFeed;
  /**
   * The edge pipeline, shared with `/graphql` and TAXII: admits each request (authentication, one
   * token from the caller's bucket); its refusals answer with the catalogue's status (401 with a
   * challenge, 429 with `Retry-After`) and the observer hears how every request ended.
   */
  pipeline: Pick<EdgePipeline, 'admit' | 'begin' | 'end'>;
  /** The `WWW-Authenticate` challenges of a 401. Default `Bearer realm="the hub"`. */
  challenges?: readonly string[];
  /** Unexpected failures are logged here with the request id (and answered 500). */
  log: Logger;
}

type Route = { kind: 'manifest' } | { kind: 'hashes' } | { kind: 'event'; uuid: string };

const EVENT_FILE = /^([0-9A-Fa-f-]{36})\.json$/;

function route(pathname: string): Route | null {
  // MISP appends `/manifest.json` to the feed's URL: a URL entered with a trailing slash asks for `//manifest.json`.
  const file = pathname.slice(MISP_FEED_PREFIX.length).replace(/^\/+/, '');
  if (file === 'manifest.json') return { kind: 'manifest' };
  if (file === 'hashes.csv') return { kind: 'hashes' };
  const m = EVENT_FILE.exec(file);
  return m ? { kind: 'event', uuid: m[1]! } : null;
}

/** A refusal as the hub answers one over plain HTTP: the catalogue's code and status, GraphQL's error shape. */
class FeedRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The MISP feed over the hub's Node http server, one per credential: a MISP instance adds
 * `<hub>/misp/feed` as a feed of format "MISP Feed" with the header
 * `Authorization: Bearer <API key>`, and receives what that key's member may see
 * (docs/federation.md, "MISP"). Reading the feed needs the reader role, as every read does.
 */
export function createMispFeedHandler(options: MispFeedHandlerOptions) {
  const { feed, log } = options;
  const challenges = options.challenges ?? ['Bearer realm="the hub"'];

  async function viewerOf(req: IncomingMessage, trace: RequestTrace): Promise<Extract<Viewer, { kind: 'member' }>> {
    let viewer: Viewer;
    try {
      viewer = await options.pipeline.admit({ transport: 'misp', authorization: headerOf(req, 'authorization'), remoteAddress: req.socket.remoteAddress, requestId: trace.requestId });
      // A feed is a member's: anonymous callers have none (even where anonymous reads are on).
      assertRole(viewer, 'reader');
    } catch (err) {
      const code = codeOf(err as GraphQLError);
      if (code === INTERNAL) throw new FeedRefusal(INTERNAL, UNEXPECTED_MESSAGE);
      const retryAfter = (err as GraphQLError).extensions?.retryAfter;
      const headers: Record<string, string> =
        httpStatusOf(code) === 401 ? { 'www-authenticate': challenges.join(', ') } : typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {};
      throw new FeedRefusal(code, (err as GraphQLError).message, headers);
    }
    return viewer;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL, trace: RequestTrace): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new FeedRefusal('BAD_REQUEST', `${url.pathname} answers GET and HEAD`, { allow: 'GET, HEAD' });
    }
    const target = route(url.pathname);
    if (!target) throw new FeedRefusal('NOT_FOUND', `Nothing is served at ${url.pathname}: the feed has manifest.json, hashes.csv and <event uuid>.json`);
    const viewer = await viewerOf(req, trace);
    switch (target.kind) {
      case 'manifest':
        return send(req, res, 'application/json; charset=utf-8', [JSON.stringify(await feed.manifest(viewer))]);
      case 'hashes':
        return send(req, res, 'text/csv; charset=utf-8', feed.hashes(viewer));
      case 'event': {
        const chunks = await feed.event(viewer, target.uuid);
        if (!chunks) throw new FeedRefusal('NOT_FOUND', `No event ${target.uuid} in your feed`);
        return send(req, res, 'application/json; charset=utf-8', chunks);
      }
    }
  }

  return async function handleMispFeed(req: IncomingMessage, res: ServerResponse, requestId: string, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') req.resume(); // the feed reads no bodies
    const trace = options.pipeline.begin('misp', requestId);
    trace.operationType = 'query';
    try {
      await serve(req, res, url, trace);
    } catch (err) {
      if (err instanceof FeedRefusal) {
        trace.code = err.code;
        if (res.headersSent) return void res.destroy();
        const status = err.code === 'BAD_REQUEST' && err.headers.allow ? 405 : httpStatusOf(err.code);
        return refuse(res, status, err.code, err.message, err.headers);
      }
      trace.code = INTERNAL;
      log.error({ err, requestId }, 'MISP feed request failed');
      // Mid-stream, the status is gone: end the connection, so that MISP sees a truncated (invalid) file, never a short one.
      if (res.headersSent) return void res.destroy();
      refuse(res, 500, INTERNAL, `${UNEXPECTED_MESSAGE} (request id ${requestId})`);
    } finally {
      options.pipeline.end(trace);
    }
  };
}

/** Writes a body from chunks, waiting for the socket to drain (an event may be megabytes); HEAD gets the headers only. */
async function send(req: IncomingMessage, res: ServerResponse, contentType: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  // Each member's feed is its own: no shared cache may keep it.
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}

function refuse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
