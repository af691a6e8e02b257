/**
 * GraphiQL's fetcher for the hub: HTTP for queries and mutations, graphql-ws for subscriptions,
 * both with the `Authorization` header from the headers editor (in `connection_init` for graphql-ws).
 */
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { createClient, type Client } from 'graphql-ws';

/** What the headers editor holds until the analyst pastes a token; never sent. */
export const TOKEN_PLACEHOLDER = 'Bearer <paste a token: npm run -s hub -- token --member demo-isac>';

const PLACEHOLDER = /^Bearer\s*<[^>]*>\s*$/i;

/** The headers to send: the editor's, without an `Authorization` that is still the placeholder. */
export function sendableHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const sendable: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string') continue;
    if (name.toLowerCase() === 'authorization' && (PLACEHOLDER.test(value) || value.trim() === '')) continue;
    sendable[name] = value;
  }
  return sendable;
}

/** The `Authorization` value among headers (any case), if one is to be sent. */
export function authorizationOf(headers: Record<string, unknown> | undefined): string | undefined {
  const sendable = sendableHeaders(headers);
  const name = Object.keys(sendable).find((key) => key.toLowerCase() === 'authorization');
  return name === undefined ? undefined : sendable[name];
}

/** Sockets kept for recent tokens: an idle graphql-ws client (lazy) holds no connection. */
const MAX_CLIENTS = 4;

/**
 * One fetcher for the page. A graphql-ws client authenticates once, at `connection_init`, so
 * there is one client per distinct `Authorization`: pasting a new token opens a new socket for the
 * next subscription, and the least recently used client beyond {@link MAX_CLIENTS} is disposed.
 */
export function createHubFetcher(options: { url: string; wsUrl: string }): Fetcher {
  const byAuthorization = new Map<string, { client: Client; fetcher: Fetcher }>();

  function fetcherFor(authorization: string | undefined): Fetcher {
    const key = authorization ?? '';
    let entry = byAuthorization.get(key);
    if (entry) {
      byAuthorization.delete(key); // re-insert: the Map's order is recency
    } else {
      const client = createClient({
        url: options.wsUrl,
        lazy: true,
        retryAttempts: 0,
        connectionParams: authorization ? { authorization } : {},
      });
      entry = { client, fetcher: createGraphiQLFetcher({ url: options.url, wsClient: client, enableIncrementalDelivery: false }) };
    }
    byAuthorization.set(key, entry);
    while (byAuthorization.size > MAX_CLIENTS) {
      const [oldest, stale] = byAuthorization.entries().next().value!;
      byAuthorization.delete(oldest);
      void stale.client.dispose();
    }
    return entry.fetcher;
  }

  return (params, opts) => {
    const headers = sendableHeaders(opts?.headers);
    return fetcherFor(authorizationOf(headers))(params, { ...opts, headers });
  };
}
