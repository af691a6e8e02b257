/**
 * Metrics for operators (docs/metrics.md): a real hub with its Prometheus listener on port 0,
 * real traffic over HTTP, graphql-ws and TAXII, then a scrape with fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { CODES, OPERATION_TYPES, TRANSPORTS } from '../src/metrics/metric-labels.js';
import { alertsDocument, alertStream, eventually, rawAlertSocket, sleep } from './support/alert-stream.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

/** One sample of the exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text format (what prom-client writes: no escaped quotes in our labels). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample `name` with exactly `labels` (plus `le`, if given); 0 when absent. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.keys(labels).length === Object.keys(s.labels).length && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name}${JSON.stringify(labels)} appears at most once`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

const MARKER = 'metricsmarker7f3a91';
const RATE_BURST = 12;

let t: TestHub;
let metricsUrl: string;

async function scrape(): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseExposition(text), contentType: res.headers.get('content-type') };
}

beforeAll(async () => {
  t = await startTestHub({
    config: { metricsPort: 0, alertHeartbeatMs: 100, wsMaxBufferedBytes: 16_384, rateLimitPerMinute: 1, rateLimitBurst: RATE_BURST },
  });
  expect(t.hub.metrics).not.toBeNull();
  metricsUrl = t.hub.metrics!.url;
});

afterAll(async () => {
  await t?.dispose();
});

describe('the metrics listener', () => {
  it('serves GET /metrics on its own port, bound to loopback, and nothing of the API', async () => {
    expect(t.hub.metrics!.port).not.toBe(t.hub.port);
    expect(new URL(metricsUrl).hostname).toBe('127.0.0.1');
    const { contentType, samples } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    // the default Node process metrics
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect((await fetch(new URL('/graphql', metricsUrl), { method: 'POST' })).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(405);
    // and the API does not serve metrics
    expect((await fetch(new URL('/metrics', t.url))).status).toBe(404);
  });

  it('is off unless HUB_METRICS_PORT is set, and refuses a bad port naming the variable', async () => {
    const plain = await startTestHub();
    expect(plain.hub.metrics).toBeNull();
    await plain.dispose();
    expect(parseConfig({}).metricsPort).toBeUndefined();
    expect(parseConfig({ HUB_METRICS_PORT: '9464' })).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(() => parseConfig({ HUB_METRICS_PORT: 'nine' })).toThrow(ConfigError);
    expect(() => parseConfig({ HUB_METRICS_PORT: '70000' })).toThrow(/HUB_METRICS_PORT must be 0\.\.65535/);
  });
});

describe('after real traffic', () => {
  let before: Sample[];
  /** While the subscription is live (the gauges). */
  let after: Sample[];
  /** Once it ended (a subscription is counted when it ends). */
  let ended: Sample[];
  let text: string;

  beforeAll(async () => {
    before = (await scrape()).samples;
    const isac = t.member('m-isac', 'TRUSTED');
    const lab = t.member('m-lab', 'CORE');
    const flood = t.member('m-flood', 'COMMUNITY');
    const isacToken = await isac.token(['reader']);

    // an alerts subscriber, live before anything is published
    const stream = await alertStream(t, isacToken, { selection: 'cursor type indicator { value description tags }' });
    // a record carrying the marker everywhere a client can put text
    await lab.publishes([{ value: `${MARKER}.example`, description: `${MARKER} description`, tags: [MARKER] }]);
    await stream.until((s) => s.events.length === 1, 'the alert');
    expect(stream.events[0]!.indicator!.value).toBe(`${MARKER}.example`);

    // HTTP: a query, and a mistake naming the marker (the code, not the message, becomes a label)
    expect((await t.gql('{ indicators(first: 5) { totalCount } }', undefined, { token: isacToken })).status).toBe(200);
    const bad = await t.gql(`{ indicators(first: 5) { ${MARKER} } }`, undefined, { token: isacToken });
    expect(bad.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

    // graphql-ws: a query over the subscriber's socket
    const result = await new Promise<any>((resolve, reject) => {
      let got: unknown;
      stream.client.subscribe({ query: `{ indicators(filter: { value: "${MARKER}.example" }) { totalCount } }` }, { next: (r) => (got = r), error: reject, complete: () => resolve(got) });
    });
    expect(result.errors).toBeUndefined();

    // TAXII: discovery
    const taxii = await fetch(new URL('/taxii2/', t.url), { headers: { accept: 'application/taxii+json;version=2.1', authorization: `Bearer ${isacToken}` } });
    expect(taxii.status).toBe(200);

    // one member over its rate limit: the burst passes, the next request is refused
    const floodToken = await flood.token(['reader']);
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_BURST; i++) statuses.push((await t.gql('{ viewer { tier } }', undefined, { token: floodToken })).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    // and over graphql-ws, the same bucket
    const floodWs = t.wsClient(floodToken);
    const refused = await new Promise<any>((resolve) => floodWs.subscribe({ query: '{ viewer { tier } }' }, { next: () => {}, error: resolve, complete: () => resolve(null) }));
    expect(refused?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    const scraped = await scrape();
    after = scraped.samples;
    text = scraped.text;
    await stream.dispose();
    await eventually(() => t.hub.alerts.stats().subscribers === 0, 'the subscription to end');
    ended = (await scrape()).samples;
  });

  const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

  it('counts requests by transport, operation type and code', () => {
    expect(delta('hub_requests_total', { transport: 'http', operation_type: 'query', code: 'OK' })).toBeGreaterThanOrEqual(1 + RATE_BURST);
    expect(delta('hub_requests_total', { transport: 'http', operation_type: 'mutation', code: 'OK' })).toBe(1);
    // a document that does not validate has no operation type Apollo would tell
    expect(delta('hub_requests_total', { transport: 'http', operation_type: 'unknown', code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta('hub_requests_total', { transport: 'http', operation_type: 'unknown', code: 'RATE_LIMITED' })).toBe(1);
    expect(delta('hub_requests_total', { transport: 'graphql-ws', operation_type: 'subscription', code: 'OK' })).toBe(0);
    expect(valueOf(ended, 'hub_requests_total', { transport: 'graphql-ws', operation_type: 'subscription', code: 'OK' }) - valueOf(before, 'hub_requests_total', { transport: 'graphql-ws', operation_type: 'subscription', code: 'OK' })).toBe(1);
    expect(delta('hub_requests_total', { transport: 'graphql-ws', operation_type: 'query', code: 'OK' })).toBe(1);
    expect(delta('hub_requests_total', { transport: 'graphql-ws', operation_type: 'unknown', code: 'RATE_LIMITED' })).toBe(1);
    expect(delta('hub_requests_total', { transport: 'taxii', operation_type: 'query', code: 'OK' })).toBe(1);
  });

  it('times requests in a histogram labelled by transport and operation type only', () => {
    const buckets = after.filter((s) => s.name === 'hub_request_duration_seconds_bucket');
    expect(buckets.length).toBeGreaterThan(0);
    for (const b of buckets) expect(Object.keys(b.labels).sort()).toEqual(['le', 'operation_type', 'transport']);
    expect(delta('hub_request_duration_seconds_count', { transport: 'graphql-ws', operation_type: 'query' })).toBe(1);
    expect(delta('hub_request_duration_seconds_count', { transport: 'taxii', operation_type: 'query' })).toBe(1);
    expect(delta('hub_request_duration_seconds_sum', { transport: 'http', operation_type: 'query' })).toBeGreaterThan(0);
    // a subscription's lifetime is not a latency
    expect(ended.filter((s) => s.name === 'hub_request_duration_seconds_count' && s.labels.operation_type === 'subscription')).toEqual([]);
  });

  it('counts rate-limited refusals per transport', () => {
    expect(delta('hub_rate_limited_total', { transport: 'http' })).toBe(1);
    expect(delta('hub_rate_limited_total', { transport: 'graphql-ws' })).toBe(1);
    expect(delta('hub_rate_limited_total', { transport: 'taxii' })).toBe(0);
  });

  it('reads open sockets and live subscriptions as gauges', () => {
    expect(valueOf(after, 'hub_ws_connections')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'hub_subscriptions')).toBe(1);
  });

  it('measures the delivery lag of the alert, from append to socket', () => {
    expect(delta('hub_alert_delivery_lag_seconds_count')).toBe(1);
    const lag = delta('hub_alert_delivery_lag_seconds_sum');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(5);
  });

  it('times store operations by repository and operation', () => {
    expect(delta('hub_store_operation_duration_seconds_count', { repository: 'indicators', operation: 'upsertClaims' })).toBeGreaterThanOrEqual(1);
    expect(delta('hub_store_operation_duration_seconds_count', { repository: 'rateLimits', operation: 'take' })).toBeGreaterThanOrEqual(RATE_BURST + 1);
    const repositories = new Set(after.filter((s) => s.name === 'hub_store_operation_duration_seconds_count').map((s) => s.labels.repository));
    expect([...repositories]).toEqual(expect.arrayContaining(['indicators', 'members', 'events']));
  });

  it('carries no record content: every label value comes from a fixed set, and the marker is nowhere', () => {
    expect(text).not.toContain(MARKER);
    const allowed: Record<string, ReadonlySet<string>> = {
      transport: new Set([...TRANSPORTS, 'other']),
      operation_type: new Set([...OPERATION_TYPES, 'other']),
      code: new Set([...CODES, 'other']),
    };
    for (const s of after.filter((x) => x.name.startsWith('hub_'))) {
      for (const [label, value] of Object.entries(s.labels)) {
        if (label === 'le') continue;
        if (label === 'repository' || label === 'operation') expect(value).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
        else expect(allowed[label], `label ${label}`).toBeDefined(), expect(allowed[label]!.has(value), `${label}="${value}"`).toBe(true);
      }
    }
  });
});

describe('slow consumers', () => {
  it('counts a subscriber closed with 4413', async () => {
    const before = valueOf((await scrape()).samples, 'hub_slow_consumer_closes_total');
    const pub = t.member('m-slowpub', 'CORE');
    const reader = t.member('m-slowreader', 'COMMUNITY');
    const big = 'x'.repeat(4_000);
    const selection = `cursor type indicator { id ${Array.from({ length: 13 }, (_, i) => `d${i}: description`).join(' ')} }`;
    const raw = await rawAlertSocket(t, await reader.token(['reader']), alertsDocument(selection), { filter: { tags: ['slow'] }, heartbeats: true });
    await eventually(() => raw.payloads.length > 0, 'the first heartbeat');
    raw.pause();
    for (let batch = 0; batch < 8 && t.hub.alerts.stats().subscribers > 0; batch++) {
      await pub.publishes(Array.from({ length: 100 }, (_, k) => ({ value: `${batch}-${k}.slow.metrics.example`, tags: ['slow'], description: big })));
    }
    await eventually(() => t.hub.alerts.stats().subscribers === 0, 'the slow subscriber to be dropped', 15_000);
    raw.resume();
    expect((await Promise.race([raw.closed, sleep(10_000).then(() => null)]))?.code).toBe(4413);
    expect(valueOf((await scrape()).samples, 'hub_slow_consumer_closes_total') - before).toBe(1);
  });
});
