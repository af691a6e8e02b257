/**
 * The worker half of `runLoad` (see load.ts): `concurrency` virtual users, each on its own
 * keep-alive socket, sending the same POST back to back for warmupMs + durationMs. Only
 * responses that complete inside the measured window are counted and timed.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadOptions } from './load.js';

const options = workerData as LoadOptions & { errorMarker: string | null };
const payload = Buffer.from(options.body);
const marker = options.errorMarker ? Buffer.from(options.errorMarker) : null;
const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
const headers = { 'content-type': 'application/json', 'content-length': String(payload.length), ...options.headers };

interface Outcome {
  ok: boolean;
  bytes: number;
  failure: string | null;
}

function once(): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(options.url, { method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        bytes += c.length;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let ok = status === 200;
        let body: Buffer | null = null;
        if (ok && marker) {
          body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          ok = body.indexOf(marker) === -1;
        }
        const failure = ok ? null : `${status} ${(body ?? Buffer.concat(chunks)).toString('utf8', 0, 300)}`;
        resolve({ ok, bytes, failure });
      });
      res.on('error', (err) => resolve({ ok: false, bytes, failure: `response error: ${err.message}` }));
    });
    req.on('error', (err) => resolve({ ok: false, bytes: 0, failure: `request error: ${err.message}` }));
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const measureFrom = t0 + options.warmupMs;
  const measureTo = measureFrom + options.durationMs;
  const latencies: number[] = [];
  let requests = 0;
  /** Every response, warm-up included: what the server's CPU over the whole run was spent on. */
  let completed = 0;
  let failed = 0;
  let bytes = 0;
  let firstFailure: string | null = null;

  async function user(): Promise<void> {
    while (performance.now() < measureTo) {
      const started = performance.now();
      const outcome = await once();
      const ended = performance.now();
      completed++;
      if (ended < measureFrom || ended > measureTo) continue;
      requests++;
      bytes += outcome.bytes;
      latencies.push(ended - started);
      if (!outcome.ok) {
        failed++;
        firstFailure ??= outcome.failure;
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, () => user()));
  agent.destroy();
  const result = Float64Array.from(latencies);
  parentPort!.postMessage({ requests, completed, failed, bytes, elapsedMs: options.durationMs, latencies: result, firstFailure }, [result.buffer]);
}

void main();
