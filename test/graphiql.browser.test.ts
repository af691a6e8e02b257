/**
 * GraphiQL, air-gapped: the page `GET /graphql` serves to a browser, driven in Debian's Chromium
 * (playwright-core, never a downloaded browser) with every request outside the hub refused and
 * recorded. Without /usr/bin/chromium the browser tests are skipped on a developer machine and
 * fail in CI (`CI=true`, set by .ci/run, which installs Chromium).
 * `GRAPHIQL_SCREENSHOT=docs/graphiql.png npx vitest run test/graphiql.browser.test.ts` refreshes
 * the README's screenshot.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureGraphiqlBundle } from '../src/graphiql/graphiql-bundle.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const BROWSER_TIMEOUT = 60_000;
const BROWSER = haveChromium ? 'GraphiQL in Chromium' : `GraphiQL in Chromium (SKIPPED: no Chromium at ${CHROMIUM}; apt-get install chromium)`;
if (!haveChromium) {
  console.warn(`graphiql.browser.test.ts: the browser tests are SKIPPED, no Chromium at ${CHROMIUM} (apt-get install chromium)${inCi ? '; CI needs it' : ''}`);
}

const PUBLISH = /* GraphQL */ `
  mutation Publish($input: PublishIndicatorsInput!) {
    publishIndicators(input: $input) { results { status error { code message } } }
  }`;

let t: TestHub;
let origin: string;

beforeAll(async () => {
  // The bundle normally exists (npm install/ci built it); build it here rather than time out on the first page load.
  await ensureGraphiqlBundle();
  // No heartbeats during the test: the result pane shows a subscription's latest event.
  t = await startTestHub({ demo: true, config: { alertHeartbeatMs: 600_000 } });
  origin = new URL(t.url).origin;
}, 120_000);

describe('GraphiQL over HTTP', () => {
  it('serves the page to a browser, with a policy that allows nothing but this origin', async () => {
    const res = await fetch(t.url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(t.url).host} wss://${new URL(t.url).host}`);
    const page = await res.text();
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((src) => !src.startsWith('data:'));
    expect(assets.length).toBe(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^graphiql\/assets\//);
      const file = await fetch(new URL(asset, t.url), { headers: { 'accept-encoding': 'gzip' } });
      expect(file.status).toBe(200);
      expect(file.headers.get('cache-control')).toContain('immutable');
      await file.arrayBuffer();
    }
  });

  it('leaves JSON requests on /graphql to Apollo, CSRF prevention included', async () => {
    const query = `${t.url}?query=${encodeURIComponent('{ __typename }')}`;
    const json = await fetch(query, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
    const simple = await fetch(query, { headers: { accept: 'application/json' } });
    expect(simple.status).toBe(400); // a "simple" GET without a preflight header: Apollo's CSRF prevention
    const posted = await t.gql('{ __typename }');
    expect(posted.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves only the files of its bundle', async () => {
    for (const path of ['/graphiql/assets/manifest.json', '/graphiql/assets/..%2F..%2Fpackage.json', '/graphiql/assets/', '/graphiql/assets/nope.js']) {
      const res = await fetch(new URL(path, t.url));
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
  });
});

it.runIf(inCi)('finds Chromium in CI (.ci/run installs it)', () => {
  expect(haveChromium, `no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium package`).toBe(true);
});

describe.skipIf(!haveChromium)(BROWSER, () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let token: string;
  const outside: string[] = [];
  const fromHub: string[] = [];
  const policyViolations: string[] = [];
  const pageErrors: string[] = [];
  /** Every answer from /graphql other than the page itself: method and status. */
  const graphqlAnswers: string[] = [];

  const isHub = (url: string) => url.startsWith(`${origin}/`) || url.startsWith(`${origin.replace(/^http/, 'ws')}/`);
  const resultPane = () => page.locator('section[aria-label="Result Window"]');
  const HEADERS_EDITOR = 'section[aria-label="Headers"] .graphiql-editor:not(.hidden)';
  /** Rendered text, with Monaco's non-breaking spaces made plain. */
  const textOf = async (locator: ReturnType<Page['locator']>) => (await locator.innerText()).replace(/\u00a0/g, ' ');

  /** Replaces an editor's text by pasting (typing would trip Monaco's auto-closing brackets and indentation). */
  async function setEditor(selector: string, text: string): Promise<void> {
    const editor = page.locator(`${selector} .monaco-editor`).first();
    await editor.waitFor({ state: 'visible', timeout: BROWSER_TIMEOUT });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.evaluate((pasted) => {
      const clipboardData = new DataTransfer();
      clipboardData.setData('text/plain', pasted);
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
    }, text);
    const compact = (value: string) => value.replace(/\s+/g, '');
    await expect.poll(async () => compact(await textOf(editor.locator('.view-lines'))), { timeout: 10_000 }).toContain(compact(text).slice(0, 60));
  }

  /** Puts an operation in the editor and runs it, once GraphiQL has parsed it (its tab takes the name). */
  async function run(operation: string, name: string): Promise<void> {
    await setEditor('.graphiql-query-editor', operation);
    await expect.poll(() => textOf(page.locator('.graphiql-tab-active')), { timeout: 10_000 }).toContain(name);
    await page.locator('.graphiql-execute-button').click();
  }

  beforeAll(async () => {
    token = await t.token('demo-isac', ['reader']);
    profile = mkdtempSync(join(tmpdir(), 'hub-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        // No host name resolves: nothing but 127.0.0.1 is reachable, even past the routing below.
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isHub(url)) {
        fromHub.push(url);
        return route.continue();
      }
      outside.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (request) => {
      const url = request.url();
      if (!isHub(url) && !url.startsWith('data:') && !url.startsWith('blob:') && !outside.includes(url)) outside.push(url);
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('websocket', (ws) => void (isHub(ws.url()) ? fromHub.push(ws.url()) : outside.push(ws.url())));
    page.on('worker', (worker) => void (isHub(worker.url()) ? fromHub.push(worker.url()) : outside.push(worker.url())));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', (response) => {
      const request = response.request();
      if (new URL(response.url()).pathname === '/graphql' && request.resourceType() !== 'document') graphqlAnswers.push(`${request.method()} ${response.status()}`);
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('loads GraphiQL and its editors from the hub alone', async () => {
    await page.goto(`${origin}/graphql`, { timeout: BROWSER_TIMEOUT });
    await page.locator('.graphiql-container').waitFor({ timeout: BROWSER_TIMEOUT });
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: BROWSER_TIMEOUT });
    await expect.poll(() => textOf(page.locator(HEADERS_EDITOR)), { timeout: BROWSER_TIMEOUT }).toContain('Bearer <paste a token');
  }, BROWSER_TIMEOUT * 2);

  it('shows a hint, not an error, and asks the hub for nothing before a token is pasted', async () => {
    await expect.poll(() => textOf(resultPane()), { timeout: BROWSER_TIMEOUT }).toContain("Paste a member's token into Headers");
    await sleep(1_500); // GraphiQL would have asked for the schema by now
    expect(graphqlAnswers).toEqual([]);
    // The docs, opened before any token, say what to do.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => textOf(docs), { timeout: BROWSER_TIMEOUT }).toContain('The docs need a token');
    expect(await textOf(page.locator('.graphiql-container'))).not.toMatch(/error/i);
    expect(await page.locator('.graphiql-doc-explorer-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Hide Documentation Explorer' }).click();
    expect(graphqlAnswers).toEqual([]);
  }, BROWSER_TIMEOUT * 2);

  it('runs a query with the token from the headers editor and shows the result', async () => {
    await setEditor(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await run(
      ['query Me {', '  viewer { tier member { name } }', '  indicators(first: 3) {', '    totalCount', '    edges { node { type value tlp severity } }', '  }', '}'].join('\n'),
      'Me',
    );
    await expect.poll(() => textOf(resultPane()), { timeout: BROWSER_TIMEOUT }).toContain('"tier": "TRUSTED"');
    expect(await textOf(resultPane())).toContain('"totalCount"');
  }, BROWSER_TIMEOUT * 2);

  it('shows the schema in the docs explorer once a member token is in the headers, with the tier each gated field needs', async () => {
    // The token's arrival made the page fetch the schema again (members only may introspect).
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await expect.poll(() => textOf(docs), { timeout: BROWSER_TIMEOUT }).toMatch(/query:\s*Query/);
    await docs.getByRole('link', { name: 'Query', exact: true }).first().click();
    await expect.poll(() => textOf(docs), { timeout: BROWSER_TIMEOUT }).toContain('lookupIndicators');
    expect(await textOf(docs)).toContain('indicators');
    // A gated field says its tier (from @minTier, src/graphql/min-tier.ts)
    await docs.getByRole('link', { name: 'Indicator', exact: true }).first().click();
    await expect.poll(() => textOf(docs), { timeout: BROWSER_TIMEOUT }).toContain('Requires tier TRUSTED or above');
    await page.locator('.graphiql-doc-explorer-back').click();
    const screenshot = process.env.GRAPHIQL_SCREENSHOT;
    if (screenshot) await page.screenshot({ path: screenshot });
  }, BROWSER_TIMEOUT * 2);

  it('shows URLs in results as text: no link decoration, and a click opens nothing', async () => {
    const url = `http://malicious-${Date.now()}.example/payload.exe`;
    const publisher = await t.token('demo-agency', ['publisher', 'reader']);
    const published = await t.gql(PUBLISH, { input: { idempotencyKey: `graphiql-link-${url}`, indicators: [{ value: url, tlp: 'CLEAR', severity: 'HIGH', confidence: 80 }] } }, { token: publisher });
    expect(published.body.data?.publishIndicators.results[0].status).toBe('CREATED');
    // The URL in a comment too: the query editor keeps Monaco's link detection (the control).
    await run(`# evidence: ${url}\nquery Links { indicators(first: 1, filter: { value: ${JSON.stringify(url)} }) { edges { node { value } } } }`, 'Links');
    const host = new URL(url).host;
    await expect.poll(async () => (await textOf(resultPane())).replace(/\s+/g, ''), { timeout: BROWSER_TIMEOUT }).toContain(host);
    await expect.poll(() => page.locator('.graphiql-query-editor .detected-link').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await sleep(1_000); // as long again for the result pane
    expect(await resultPane().locator('.detected-link, .detected-link-active').count()).toBe(0);

    const pagesBefore = context.pages().length;
    const where = page.url();
    const text = resultPane().getByText(host).first();
    await text.hover({ modifiers: ['ControlOrMeta'] });
    expect(await resultPane().locator('.detected-link, .detected-link-active').count()).toBe(0);
    // force: Monaco's cursor layer covers the text, which Playwright would otherwise wait out
    await text.click({ modifiers: ['ControlOrMeta'], force: true });
    await text.click({ force: true });
    await sleep(500);
    expect(context.pages().length).toBe(pagesBefore);
    expect(page.url()).toBe(where);
    expect(outside.filter((u) => u.includes(host))).toEqual([]);
  }, BROWSER_TIMEOUT * 2);

  it('streams an alerts subscription over graphql-ws with the same token', async () => {
    await page.getByRole('button', { name: 'Hide Documentation Explorer' }).click(); // a wider result pane
    const value = `probe-${Date.now()}.example.org`;
    const before = t.hub.alerts.stats().subscribers;
    await run('subscription Watch { alerts(filter: { tags: ["graphiql-probe"] }) { type indicator { value tlp tags } } }', 'Watch');
    await expect.poll(() => t.hub.alerts.stats().subscribers, { timeout: BROWSER_TIMEOUT }).toBeGreaterThan(before);

    // TLP:AMBER from another member: only a TRUSTED viewer (the token's) sees it, an anonymous socket would not.
    const publisher = await t.token('demo-agency', ['publisher', 'reader']);
    const published = await t.gql(
      PUBLISH,
      { input: { idempotencyKey: `graphiql-${value}`, indicators: [{ value, tlp: 'AMBER', severity: 'HIGH', confidence: 80, tags: ['graphiql-probe'] }] } },
      { token: publisher },
    );
    expect(published.body.data?.publishIndicators.results[0].status).toBe('CREATED');
    // Without white space: Monaco may wrap a long line.
    const pane = async () => (await textOf(resultPane())).replace(/\s+/g, '');
    await expect.poll(pane, { timeout: BROWSER_TIMEOUT }).toContain(`"value":"${value}"`);
    expect(await pane()).toContain('"type":"PUBLISHED"');
    expect(await pane()).toContain('"tlp":"AMBER"');
  }, BROWSER_TIMEOUT * 2);

  it('requested nothing outside the hub and broke no Content-Security-Policy rule', () => {
    // What the page did fetch: itself, its script and stylesheet, three Monaco workers, GraphQL on both transports.
    const paths = new Set(fromHub.map((url) => new URL(url).pathname.replace(/-[A-Z0-9]{8}\./, '-*.')));
    expect([...paths].sort()).toEqual(
      expect.arrayContaining(['/graphql', '/graphiql/assets/graphiql-*.js', '/graphiql/assets/graphiql-*.css', '/graphiql/assets/editor.worker-*.js', '/graphiql/assets/graphql.worker-*.js']),
    );
    expect(fromHub.some((url) => url.startsWith('ws://'))).toBe(true);
    expect(outside).toEqual([]);
    expect(policyViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
