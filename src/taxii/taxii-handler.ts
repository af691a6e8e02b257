import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { codeOf, codeOfStatus, httpStatusOf, INTERNAL, UNEXPECTED_MESSAGE } from '../edge/error-catalogue.js';
import type { EdgePipeline, RequestTrace } from '../edge/pipeline.js';
import type { Viewer } from '../policy/policy.js';
import { findCollection, TAXII_COLLECTIONS, type TaxiiCollection } from './collections.js';
import { formatDateAdded } from './date-added.js';
import type { Entry } from './object-source.js';
import { parseObjectQuery } from './object-query.js';
import { notFound, TaxiiError } from './taxii-error.js';
import type { TaxiiFeed } from './taxii-feed.js';
import { acceptsTaxii, isTaxiiContentType, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE } from './taxii-media.js';
import { readTaxiiBody } from './taxii-body.js';
import { statusResource, type TaxiiWriter } from './taxii-writer.js';

/** The title of a TAXII error message answering an admission refusal, by status. */
const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too many requests' };

/** Where the TAXII server lives, and its one API root under it. */
export const TAXII_PREFIX = '/taxii2/';
export const API_ROOT = 'hub';

export interface TaxiiHandlerOptions {
  /** Where the collections' objects come from, already filtered and redacted for the viewer. */
  feed: TaxiiFeed;
  /**
   * Adds objects to the indicators collection and keeps their status resources. Absent: every
   * collection is read-only (`can_write` false, POST 403).
   */
  writer?: TaxiiWriter;
  /**
   * The edge pipeline, shared with `/graphql`: admits each request (authentication, anonymous
   * reads, one token from the caller's bucket). Its refusals answer with the catalogue's status
   * (401 with the challenges, 429 with `Retry-After`, 500 for an unexpected failure, which the
   * pipeline logged); the observer hears how every request ended.
   */
  pipeline: Pick<EdgePipeline, 'admit' | 'begin' | 'end'>;
  /** The `WWW-Authenticate` challenges of a 401. Default `Bearer realm="the hub"`. */
  challenges?: readonly string[];
  /** Largest request the API root admits (`max_content_length`): a larger add-objects body is refused with 413. */
  maxContentLength: number;
  /** Unexpected failures are logged here with the request id (and answered 500). */
  log: Logger;
}

type Route =
  | { kind: 'discovery' }
  | { kind: 'api-root' }
  | { kind: 'collections' }
  | { kind: 'collection'; collection: string }
  | { kind: 'objects'; collection: string }
  | { kind: 'object'; collection: string; id: string }
  | { kind: 'versions'; collection: string; id: string }
  | { kind: 'manifest'; collection: string }
  | { kind: 'status'; id: string };

/** `/taxii2/...` path segments to a route; null for anything the hub does not serve. */
function route(pathname: string): Route | null {
  let parts: string[];
  try {
    parts = pathname.slice(TAXII_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null; // a malformed %-escape
  }
  if (parts.length === 0) return { kind: 'discovery' };
  if (parts[0] !== API_ROOT) return null;
  const [, section, collection, sub, id, leaf] = parts;
  if (section === undefined) return { kind: 'api-root' };
  // taxii2-client polls the status URL it built without the trailing slash; both are the same here.
  if (section === 'status') return collection !== undefined && parts.length === 3 ? { kind: 'status', id: collection } : null;
  if (section !== 'collections') return null;
  if (collection === undefined) return { kind: 'collections' };
  if (sub === undefined) return { kind: 'collection', collection };
  if (sub === 'manifest' && id === undefined) return { kind: 'manifest', collection };
  if (sub !== 'objects') return null;
  if (id === undefined) return { kind: 'objects', collection };
  if (leaf === undefined && parts.length === 5) return { kind: 'object', collection, id };
  if (leaf === 'versions' && parts.length === 6) return { kind: 'versions', collection, id };
  return null;
}

/**
 * The TAXII 2.1 read side over the hub's Node http server: discovery, one API root, its
 * collections (indicators, model-risk notices, reference objects), and their objects, object,
 * versions and manifest endpoints. Every answer is `application/taxii+json;version=2.1`, errors
 * included. See docs/taxii.md.
 */
export function createTaxiiHandler(options: TaxiiHandlerOptions) {
  const { feed, log } = options;
  const challenges = options.challenges ?? ['Bearer realm="the hub"'];

  /** The pipeline's `admit`, its refusals as TAXII error messages. */
  async function viewerOf(req: IncomingMessage, trace: RequestTrace): Promise<Viewer> {
    try {
      return await options.pipeline.admit({ transport: 'taxii', authorization: headerOf(req, 'authorization'), remoteAddress: req.socket.remoteAddress, requestId: trace.requestId });
    } catch (err) {
      const code = (trace.code = codeOf(err as GraphQLError));
      const status = httpStatusOf(code);
      if (code === INTERNAL) throw new TaxiiError(status, UNEXPECTED_MESSAGE, UNEXPECTED_MESSAGE);
      const retryAfter = (err as GraphQLError).extensions?.retryAfter;
      const headers: Record<string, string> =
        status === 401 ? { 'www-authenticate': challenges.join(', ') } : typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {};
      throw new TaxiiError(status, TITLES[status] ?? 'Refused', (err as GraphQLError).message, headers);
    }
  }

  /** Whether the viewer may add objects to the collection: the indicators collection, for a publisher. */
  function canWrite(collection: TaxiiCollection, viewer: Viewer): boolean {
    return collection.alias === 'indicators' && !!options.writer?.canWrite(viewer);
  }

  /** POST {collection}/objects/: the checks TAXII 2.1 §5.4 names, in its order of status codes, then the writer. */
  async function addObjects(req: IncomingMessage, viewer: Viewer, collection: TaxiiCollection) {
    if (viewer.kind === 'anonymous') {
      throw new TaxiiError(401, 'Unauthorized', 'Adding objects needs an API key or token with the publisher role', { 'www-authenticate': challenges.join(', ') });
    }
    if (!options.writer || !canWrite(collection, viewer)) {
      throw new TaxiiError(403, 'Forbidden', collection.alias === 'indicators' && options.writer
        ? 'can_write is false for this credential: adding objects needs an API key or token with the publisher role'
        : `can_write is false for the ${collection.alias} collection: only the indicators collection takes objects`);
    }
    if (!isTaxiiContentType(headerOf(req, 'content-type'))) {
      throw new TaxiiError(415, 'Unsupported media type', `Send the envelope as Content-Type: ${TAXII_MEDIA_TYPE}`);
    }
    const envelope = await readTaxiiBody(req, options.maxContentLength);
    return options.writer.add(viewer, envelope);
  }

  async function answer(req: IncomingMessage, url: URL, trace: RequestTrace): Promise<{ status?: number; body: unknown; headers?: Record<string, string> }> {
    const target = route(url.pathname);
    if (!target) throw notFound(`Nothing is served at ${url.pathname}`);
    const writes = target.kind === 'objects' ? 'POST' : target.kind === 'object' ? 'DELETE' : null;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (req.method !== writes) throw new TaxiiError(405, 'Method not allowed', `${url.pathname} answers GET`, { allow: writes ? `GET, HEAD, ${writes}` : 'GET, HEAD' });
    }
    if (!acceptsTaxii(headerOf(req, 'accept'))) {
      throw new TaxiiError(406, 'Not acceptable', `This server answers ${TAXII_MEDIA_TYPE} only`);
    }
    const viewer = await viewerOf(req, trace);
    if (req.method === 'POST' && target.kind === 'objects') {
      trace.operationType = 'mutation';
      return { status: 202, body: statusResource(await addObjects(req, viewer, collectionOf(target.collection))) };
    }
    if (req.method === writes) throw new TaxiiError(403, 'Forbidden', 'Objects cannot be deleted through TAXII: revoke an indicator with revokeIndicator, or post a newer version with revoked: true');
    const base = baseUrl(req);

    switch (target.kind) {
      case 'discovery':
        return {
          body: {
            title: 'The hub',
            description: 'Threat indicators and AI model-risk notices shared under trust tiers and TLP.',
            default: `${base}${TAXII_PREFIX}${API_ROOT}/`,
            api_roots: [`${base}${TAXII_PREFIX}${API_ROOT}/`],
          },
        };
      case 'api-root':
        return {
          body: {
            title: 'The hub',
            description: 'Indicators, model-risk notices and the reference objects they point to. Publishers may add indicators and sightings to the indicators collection.',
            versions: [TAXII_MEDIA_TYPE],
            max_content_length: options.maxContentLength,
          },
        };
      case 'collections':
        return { body: { collections: TAXII_COLLECTIONS.map((c) => describe(c, canWrite(c, viewer))) } };
      case 'collection': {
        const collection = collectionOf(target.collection);
        return { body: describe(collection, canWrite(collection, viewer)) };
      }
      case 'status': {
        const status = await options.writer?.status(viewer, target.id);
        if (!status) throw notFound(`No status ${target.id}`);
        return { body: statusResource(status) };
      }
      case 'objects':
      case 'manifest': {
        const collection = collectionOf(target.collection);
        const page = await feed.objects(viewer, collection, parseObjectQuery(url.searchParams));
        const objects = target.kind === 'objects' ? page.entries.map((e) => e.object) : page.entries.map(manifestRecord);
        return { body: envelope(page.more, page.next, objects), headers: dateAddedHeaders(page.entries) };
      }
      case 'object':
      case 'versions': {
        const collection = collectionOf(target.collection);
        const query = parseObjectQuery(url.searchParams);
        const entries = await feed.object(viewer, collection, target.id, query.filters);
        if (!entries) throw notFound(`No object ${target.id} in this collection`);
        if (target.kind === 'object') return { body: envelope(false, undefined, entries.map((e) => e.object)), headers: dateAddedHeaders(entries) };
        return { body: entries.length ? { more: false, versions: entries.map((e) => e.version) } : {}, headers: dateAddedHeaders(entries) };
      }
    }
  }

  return async function handleTaxii(req: IncomingMessage, res: ServerResponse, requestId: string, url: URL): Promise<void> {
    const trace = options.pipeline.begin('taxii', requestId);
    trace.operationType = 'query';
    try {
      const { status = 200, body, headers = {} } = await answer(req, url, trace);
      send(res, status, body, headers);
    } catch (err) {
      if (err instanceof TaxiiError) {
        // An admission refusal set its own code; any other TAXII error is known by its status.
        if (trace.code === 'OK') trace.code = codeOfStatus(err.status);
        return send(res, err.status, err.body(), err.headers);
      }
      trace.code = INTERNAL;
      log.error({ err, requestId }, 'TAXII request failed');
      send(res, 500, new TaxiiError(500, UNEXPECTED_MESSAGE, `Logged with request id ${requestId}`).body());
    } finally {
      // A body nobody read (a refused or non-POST request) is drained, so the connection stays usable.
      if (!req.readableEnded) req.resume();
      options.pipeline.end(trace);
    }
  };
}

function collectionOf(idOrAlias: string): TaxiiCollection {
  const collection = findCollection(idOrAlias);
  if (!collection) throw notFound(`No collection ${idOrAlias}`);
  return collection;
}

/** A collection resource: whoever got past authentication may read it; `canWrite` is per credential. */
function describe(c: TaxiiCollection, canWrite: boolean) {
  return { id: c.id, title: c.title, description: c.description, alias: c.alias, can_read: true, can_write: canWrite, media_types: [STIX_MEDIA_TYPE] };
}

function envelope(more: boolean, next: string | undefined, objects: unknown[]) {
  return { more, ...(next ? { next } : {}), ...(objects.length ? { objects } : {}) };
}

function manifestRecord(e: Entry) {
  return { id: e.object.id, date_added: formatDateAdded(e.position), version: e.version, media_type: STIX_MEDIA_TYPE };
}

function dateAddedHeaders(entries: readonly Entry[]): Record<string, string> {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (!first || !last) return {};
  return { 'x-taxii-date-added-first': formatDateAdded(first.position), 'x-taxii-date-added-last': formatDateAdded(last.position) };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': TAXII_MEDIA_TYPE, 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `http://host:port` as the client reached the hub (https behind a proxy that says so). */
function baseUrl(req: IncomingMessage): string {
  const host = headerOf(req, 'host');
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return '';
  const proto = headerOf(req, 'x-forwarded-proto')?.split(',')[0]?.trim() === 'https' || 'encrypted' in req.socket ? 'https' : 'http';
  return `${proto}://${host}`;
}

