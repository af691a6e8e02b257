import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestObserver } from '../edge/request-observer.js';
import { codeOfStatus } from './metric-labels.js';

type Handler = (req: IncomingMessage, res: ServerResponse, requestId: string, url: URL) => Promise<void>;

/**
 * Wraps the TAXII handler so that `observer` hears how each request ended, read from the status
 * it answered with (429: rate limited). Every TAXII request is a read: operation type `query`. A throw passes through, counted as INTERNAL_SERVER_ERROR. No observer: `handle` itself.
 */
export function observeTaxiiRequests(handle: Handler, observer: RequestObserver | null): Handler {
  if (!observer) return handle;
  return async (req, res, requestId, url) => {
    const started = performance.now();
    let status = 500;
    try {
      await handle(req, res, requestId, url);
      status = res.statusCode;
    } finally {
      if (status === 429) observer.rateLimited('taxii');
      observer.requestFinished({ transport: 'taxii', operationType: 'query', code: codeOfStatus(status), durationSeconds: (performance.now() - started) / 1000 });
    }
  };
}
