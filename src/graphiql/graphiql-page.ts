/**
 * Serves GraphiQL: `GET /graphql` from a browser (one that prefers `text/html`) gets the page, and
 * `/graphiql/assets/*` its script, stylesheet, font and Monaco workers, all from the bundle built by
 * graphiql-bundle.ts. A strict Content-Security-Policy lets the page load and connect to this
 * origin only, so a stray reference to a CDN fails loudly instead of leaking out of an air gap.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DEFAULT_BUNDLE_DIR, ensureGraphiqlBundle, type GraphiqlManifest } from './graphiql-bundle.js';

export interface GraphiqlPageOptions {
  log: Logger;
  /** Where the bundle is; default `node_modules/.cache/hub-graphiql` in the project. */
  bundleDir?: string;
  /**
   * Build the bundle on the first request when it is missing or out of date (a few seconds);
   * default true. When false, or when the build throws, the page answers 503 with the command to run.
   */
  buildIfMissing?: boolean;
}

/** What the HTTP front asks: is this request GraphiQL's, and if so, answer it. */
export interface GraphiqlPage {
  handles(req: IncomingMessage, url: URL): boolean;
  serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

export const ASSETS_PATH = '/graphiql/assets/';

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  ttf: 'font/ttf',
  woff: 'font/woff',
  woff2: 'font/woff2',
  svg: 'image/svg+xml',
  png: 'image/png',
};

const ASSET_NAME = /^[A-Za-z0-9._-]+$/;
const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Whether an `Accept` header asks for HTML before JSON, as a browser's navigation does. */
export function prefersHtml(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const html = types.indexOf('text/html');
  if (html < 0) return false;
  const json = types.findIndex((type) => type === 'application/json' || type === 'application/graphql-response+json');
  return json < 0 || html < json;
}

/**
 * The page's policy: scripts, styles, workers and connections from this origin only (graphql-ws
 * on the same host), fonts and icons inlined as `data:`. Monaco writes `<style>` elements, hence
 * 'unsafe-inline' for styles; scripts stay strict.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self'",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function html(manifest: GraphiqlManifest): string {
  // Relative URLs: the page works behind a proxy that serves the hub under a path prefix.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The hub · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="graphiql/assets/${manifest.stylesheet}">
<script type="module" src="graphiql/assets/${manifest.script}"></script>
</head>
<body style="margin:0;height:100vh">
<div id="graphiql" style="height:100vh">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript. Without it, POST GraphQL requests to this URL with content-type: application/json.</noscript>
</body>
</html>
`;
}

interface Loaded {
  manifest: GraphiqlManifest;
  page: Buffer;
  files: Map<string, { body: Buffer; gzipped?: Buffer; type: string }>;
}

const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function createGraphiqlPage(options: GraphiqlPageOptions): GraphiqlPage {
  const dir = options.bundleDir ?? DEFAULT_BUNDLE_DIR;
  let loading: Promise<Loaded> | undefined;

  async function load(): Promise<Loaded> {
    const started = Date.now();
    const manifest = await ensureGraphiqlBundle(dir, { build: options.buildIfMissing ?? true });
    const files = new Map<string, { body: Buffer; gzipped?: Buffer; type: string }>();
    for (const name of Object.keys(manifest.files)) {
      const body = await readFile(join(dir, name));
      const gzipped = await readFile(join(dir, `${name}.gz`)).catch(() => undefined);
      files.set(name, { body, gzipped, type: CONTENT_TYPES[name.split('.').pop()!] ?? 'application/octet-stream' });
    }
    const built = Date.parse(manifest.builtAt) >= started;
    options.log.info({ dir, files: files.size, ms: Date.now() - started }, built ? 'GraphiQL bundle built and loaded' : 'GraphiQL bundle loaded');
    return { manifest, page: Buffer.from(html(manifest)), files };
  }

  function loaded(): Promise<Loaded> {
    loading ??= load().catch((err: unknown) => {
      loading = undefined; // try again on the next request
      throw err;
    });
    return loading;
  }

  function unavailable(res: ServerResponse, err: unknown): void {
    options.log.error({ err }, 'GraphiQL is unavailable');
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...PAGE_HEADERS });
    res.end('GraphiQL is not available on this hub: its bundle could not be built (run `npm run build:graphiql`; the hub log has the error).\n');
  }

  return {
    handles(req, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (url.pathname.startsWith(ASSETS_PATH)) return true;
      return url.pathname === '/graphql' && prefersHtml(req.headers.accept);
    },

    async serve(req, res, url) {
      let bundle: Loaded;
      try {
        bundle = await loaded();
      } catch (err) {
        return unavailable(res, err);
      }
      const head = req.method === 'HEAD';
      if (!url.pathname.startsWith(ASSETS_PATH)) {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': bundle.page.length,
          'cache-control': 'no-cache',
          'content-security-policy': contentSecurityPolicy(req.headers.host),
          ...PAGE_HEADERS,
        });
        res.end(head ? undefined : bundle.page);
        return;
      }
      const name = url.pathname.slice(ASSETS_PATH.length);
      const file = ASSET_NAME.test(name) ? bundle.files.get(name) : undefined;
      if (!file) {
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const gzip = file.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? file.gzipped! : file.body;
      res.writeHead(200, {
        'content-type': file.type,
        'content-length': body.length,
        // File names carry their content's hash.
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...PAGE_HEADERS,
      });
      res.end(head ? undefined : body);
    },
  };
}
