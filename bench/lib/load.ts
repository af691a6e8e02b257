/**
 * Load generation and latency statistics for the benches.
 *
 * `runLoad` drives a fixed-concurrency, fixed-duration closed loop of identical POSTs over
 * keep-alive connections. The client runs in a worker thread (same process, its own event loop
 * and core), so the server under test keeps the main thread to itself and the client's own
 * cost does not land on the server being measured.
 *
 * `postJson` and `timeSequential` are the main-thread helpers for sequential request benches.
 */
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

export interface LatencySummary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sortedAsc: ArrayLike<number>, p: number): number {
  const n = sortedAsc.length;
  if (n === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sortedAsc[Math.min(n - 1, Math.max(0, rank - 1))]!;
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    n,
    min: n ? sorted[0]! : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1]! : Number.NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// Sequential requests (main thread)
// ---------------------------------------------------------------------------------------------

export interface HttpReply {
  status: number;
  text: string;
  /** Send to last byte received, ms. */
  ms: number;
}

let sequentialAgent = new Agent({ keepAlive: true, maxSockets: 4 });

/** POSTs a prebuilt JSON body; resolves with the status, the body text and the round-trip time. */
export function postJson(url: string, body: string | Buffer, headers: Record<string, string> = {}, agent?: Agent): Promise<HttpReply> {
  agent ??= sequentialAgent;
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(payload.length), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `fn` `warmup` times untimed, then `runs` times one after another; returns each run's ms. */
export async function timeSequential(runs: number, warmup: number, fn: (i: number) => Promise<number | void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const reported = await fn(i);
    times.push(typeof reported === 'number' ? reported : performance.now() - started);
  }
  return times;
}

/**
 * Drops the main-thread keep-alive sockets. Call it after a long pause without requests: a
 * socket idle longer than the server's keep-alive timeout (Node's default is 5 s) may be closed
 * by the server just as it is reused, which surfaces as ECONNRESET.
 */
export function freshConnections(): void {
  sequentialAgent.destroy();
  sequentialAgent = new Agent({ keepAlive: true, maxSockets: 4 });
}

/** Closes the main-thread keep-alive sockets so the process can exit. */
export function closeSequentialAgent(): void {
  sequentialAgent.destroy();
}

// ---------------------------------------------------------------------------------------------
// Fixed-duration closed-loop load (worker thread)
// ---------------------------------------------------------------------------------------------

export interface LoadOptions {
  url: string;
  /** The JSON body every request sends. */
  body: string;
  headers?: Record<string, string>;
  /** Keep-alive connections, each with one request in flight. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /**
   * A response counts as failed when its status is not 200 or its body contains this marker
   * (default `"errors":`, i.e. any GraphQL error). Set null to check the status only.
   */
  errorMarker?: string | null;
}

export interface LoadResult {
  /** Responses completed inside the measured window (failed ones included). */
  requests: number;
  /** Responses completed over the whole run, warm-up included (for CPU per request). */
  completed: number;
  failed: number;
  /** The measured window, ms. */
  elapsedMs: number;
  /** Successful responses per second over the measured window. */
  rps: number;
  /** Response bytes per second over the measured window. */
  bytesPerSec: number;
  /** Latency of the requests completed inside the measured window, ms. */
  latency: LatencySummary;
  /** Status and first 300 characters of the first failed response, if any. */
  firstFailure: string | null;
  /** Every measured latency, ms, in completion order (for merging runs). */
  latencies: Float64Array;
}

interface WorkerReply {
  requests: number;
  completed: number;
  failed: number;
  bytes: number;
  elapsedMs: number;
  latencies: Float64Array;
  firstFailure: string | null;
}

const WORKER_URL = new URL('./load-worker.ts', import.meta.url).href;

/**
 * Runs the load in a worker thread. The worker is plain TypeScript loaded through tsx's
 * programmatic loader (tsx's CLI hooks are not inherited by workers).
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { errorMarker: '"errors":', ...options } });
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      const ok = reply.requests - reply.failed;
      resolve({
        requests: reply.requests,
        completed: reply.completed,
        failed: reply.failed,
        elapsedMs: reply.elapsedMs,
        rps: (ok * 1000) / reply.elapsedMs,
        bytesPerSec: (reply.bytes * 1000) / reply.elapsedMs,
        latency: summarize(reply.latencies),
        firstFailure: reply.firstFailure,
        latencies: reply.latencies,
      });
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code} before reporting`));
    });
  });
}

/** Combines runs of the same target (e.g. interleaved rounds) into one result. */
export function mergeLoadResults(runs: readonly LoadResult[]): LoadResult {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const completed = runs.reduce((n, r) => n + r.completed, 0);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const elapsedMs = runs.reduce((n, r) => n + r.elapsedMs, 0);
  const bytes = runs.reduce((n, r) => n + (r.bytesPerSec * r.elapsedMs) / 1000, 0);
  const latencies = new Float64Array(runs.reduce((n, r) => n + r.latencies.length, 0));
  let offset = 0;
  for (const r of runs) {
    latencies.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  return {
    requests,
    completed,
    failed,
    elapsedMs,
    rps: ((requests - failed) * 1000) / elapsedMs,
    bytesPerSec: (bytes * 1000) / elapsedMs,
    latency: summarize(latencies),
    firstFailure: runs.find((r) => r.firstFailure)?.firstFailure ?? null,
    latencies,
  };
}

/**
 * p50/p99 of one read path: two warm-up calls, then up to `runs` timed calls, stopping early once
 * `budgetMs` has passed (a slow path at a large size would otherwise take the whole run).
 */
export async function timePath(fn: () => Promise<unknown>, runs: number, budgetMs = 10_000): Promise<{ p50: number; p99: number; n: number }> {
  for (let i = 0; i < 2; i++) await fn();
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs && performance.now() - started < budgetMs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  const s = summarize(samples);
  return { p50: s.p50, p99: s.p99, n: s.n };
}
