/** Hears how each request through the edge ended (metrics implement it). */
export interface RequestObserver {
  /** A GraphQL operation (HTTP or graphql-ws) or a TAXII request finished; `code` is 'OK' or the error catalogue's code. */
  requestFinished(event: { transport: 'http' | 'graphql-ws' | 'taxii'; operationType: 'query' | 'mutation' | 'subscription' | 'unknown'; code: string; durationSeconds: number }): void;
  /** A request or operation was refused by the rate limit. */
  rateLimited(transport: 'http' | 'graphql-ws' | 'taxii'): void;
}
