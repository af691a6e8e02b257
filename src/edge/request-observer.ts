/** Hears how each request through the edge ended (metrics implement it). */
export interface RequestObserver {
  /** A GraphQL operation (HTTP or graphql-ws), a TAXII or a MISP feed request finished; `code` is 'OK' or the error catalogue's code. */
  requestFinished(event: { transport: 'http' | 'graphql-ws' | 'taxii' | 'misp'; operationType: 'query' | 'mutation' | 'subscription' | 'unknown'; code: string; durationSeconds: number }): void;
  /** A request or operation was refused by the rate limit. */
  rateLimited(transport: 'http' | 'graphql-ws' | 'taxii' | 'misp'): void;
}
