import type { Client } from 'graphql-ws';

/** What a caller received for one operation, on either transport. */
export interface Answer {
  /** HTTP status; 0 over WebSocket. */
  status: number;
  headers?: Headers;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  /** Everything the caller received, for "no trace of X" assertions. */
  text: string;
}

/** One operation over graphql-ws: a `next` result, or the errors of an `error` message. */
export function overWs(client: Client, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (result) => void (answer = { status: 0, data: result.data ?? undefined, errors: result.errors as Answer['errors'], text: JSON.stringify(result) }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err, text: JSON.stringify(err) }) : reject(err)),
        complete: () => (answer ? resolve(answer) : reject(new Error('completed without a result'))),
      },
    );
  });
}
