/**
 * The baseline the hub is measured against: a bare Apollo Server 5 (the hub's own graphql and
 * @apollo/server versions) behind a plain `node:http` server that hands requests to
 * `apollo.executeHTTPGraphQLRequest` the same way src/http/http-server.ts does, with no auth, no
 * policy, no DataLoader, no store: resolvers return objects held in memory.
 *
 * Generic (`startBaselineApollo({ typeDefs, resolvers })`) so other benches can mirror other
 * parts of the hub's schema; the indicator list mirror is below.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { scalarResolvers } from '../../resolvers/scalars.js';

export interface BaselineServer {
  url: string;
  apollo: ApolloServer;
  dispose(): Promise<void>;
}

export interface BaselineOptions {
  typeDefs: string;
  resolvers: Record<string, unknown>;
  host?: string;
  /**
   * Tuned as the hub is: the cache-control plugin off as well as the landing page (the default
   * cache-control plugin hooks every resolved field; the hub sets no cache hints and turns it off).
   * Default false: Apollo Server's defaults, landing page aside.
   */
  tuned?: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the bare server on a free port of 127.0.0.1. */
export async function startBaselineApollo(options: BaselineOptions): Promise<BaselineServer> {
  const apollo = new ApolloServer({
    typeDefs: options.typeDefs,
    resolvers: options.resolvers as never,
    includeStacktraceInErrorResponses: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ...(options.tuned ? [ApolloServerPluginCacheControlDisabled()] : [])],
  });
  await apollo.start();

  const server: Server = createServer(async (req, res) => {
    try {
      let body: unknown = undefined;
      if (req.method === 'POST') {
        const text = await readBody(req);
        const type = req.headers['content-type'] ?? '';
        body = type.includes('application/json') && text.length > 0 ? JSON.parse(text) : text;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const q = req.url?.indexOf('?') ?? -1;
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: q === -1 ? '' : req.url!.slice(q), body },
        context: async () => ({}),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      res.statusCode = 500;
      res.end(JSON.stringify({ errors: [{ message: String(err) }] }));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let disposed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    apollo,
    dispose: () =>
      (disposed ??= (async () => {
        await apollo.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}

// ---------------------------------------------------------------------------------------------
// Indicator list mirror
// ---------------------------------------------------------------------------------------------

/** The hub's Indicator type and the enums and scalar it uses, with the same field types (shared by both baselines). */
export const INDICATOR_TYPE_SDL = /* GraphQL */ `
  scalar DateTime
  enum IndicatorType { IPV4 IPV6 CIDR DOMAIN URL EMAIL MD5 SHA1 SHA256 SHA512 }
  enum TLP { CLEAR GREEN AMBER AMBER_STRICT RED }
  enum Severity { INFO LOW MEDIUM HIGH CRITICAL }

  type Indicator {
    id: ID!
    type: IndicatorType!
    value: String!
    submittedValue: String!
    tlp: TLP!
    recipients: [ID!]
    severity: Severity!
    confidence: Int!
    validFrom: DateTime!
    validUntil: DateTime
    tags: [String!]!
    description: String
    sightingCount: Int!
    lastSeenAt: DateTime
    revoked: Boolean!
    revokedReason: String
    createdAt: DateTime!
    updatedAt: DateTime!
  }
`;

/** The list baseline: the hub's Indicator type behind a bare connection. */
export const INDICATOR_BASELINE_TYPEDEFS = /* GraphQL */ `
  ${INDICATOR_TYPE_SDL}
  type IndicatorEdge { cursor: String! node: Indicator! }
  type IndicatorConnection { edges: [IndicatorEdge!]! }
  type Query { indicators(first: Int = 50): IndicatorConnection! }
`;

/** The hub's own DateTime scalar (resolvers/scalars.ts): the baselines serialise instants exactly as the hub does. */
const { DateTime } = scalarResolvers;

export interface BaselineEdge {
  cursor: string;
  /** A stored indicator document (`_id`, Dates, ...), exactly as the hub's store holds it. */
  node: { _id: string } & Record<string, unknown>;
}

/** Resolvers answering `indicators(first)` from a fixed array of edges. */
export function indicatorListResolvers(edges: readonly BaselineEdge[]): Record<string, unknown> {
  return {
    DateTime,
    Query: {
      indicators: (_: unknown, { first }: { first: number }) => ({ edges: edges.slice(0, first) }),
    },
    Indicator: { id: (doc: { _id: string }) => doc._id },
  };
}

// ---------------------------------------------------------------------------------------------
// The full connection mirror (edges, pageInfo, totalCount, sourceSector): `npm run bench`'s list
// ---------------------------------------------------------------------------------------------

/** The hub's connection, its PageInfo, and Indicator with `sourceSector` (a scalar field of the hub's Indicator). */
export const INDICATOR_CONNECTION_TYPEDEFS = /* GraphQL */ `
  ${INDICATOR_TYPE_SDL}
  extend type Indicator { sourceSector: String }
  type IndicatorEdge { cursor: String! node: Indicator! }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type IndicatorConnection { edges: [IndicatorEdge!]! pageInfo: PageInfo! totalCount: Int! }
  type Query { indicators(first: Int = 50): IndicatorConnection! }
`;

export interface BaselinePage {
  edges: BaselineEdge[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/**
 * Resolvers answering `indicators(first)` from a fixed page. Nodes are stored documents with the
 * hub's answers for `recipients` and `sourceSector` already on them: no policy, no loaders.
 */
export function indicatorConnectionResolvers(page: BaselinePage): Record<string, unknown> {
  return {
    DateTime,
    Query: {
      indicators: (_: unknown, { first }: { first: number }) => ({ ...page, edges: page.edges.slice(0, first) }),
    },
    Indicator: { id: (doc: { _id: string }) => doc._id },
  };
}
