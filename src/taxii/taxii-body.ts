import type { IncomingMessage } from 'node:http';
import { badRequest, TaxiiError } from './taxii-error.js';

/**
 * Reads a request body of at most `maxBytes` and parses it as JSON. Over the limit (by
 * `Content-Length` or as it streams): 413, and the rest is drained unread (not destroyed, so the
 * answer still reaches the client); not JSON: 400.
 */
export function readTaxiiBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new TaxiiError(413, 'Payload too large', `The API root takes at most ${maxBytes} bytes per request (max_content_length)`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes && !over) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
      }
      if (!over) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (over) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(badRequest('The body is not JSON'));
      }
    });
  });
}
