/**
 * The page `GET /graphql` serves to a browser: GraphiQL against the hub that served it, with the
 * token from the headers editor on HTTP and graphql-ws. Bundled by src/graphiql/graphiql-build.ts.
 */
import './monaco-workers.js';
import 'graphiql/style.css';
import type { Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { FirstSteps, HasToken } from './first-steps.js';
import { authorizationOf, createHubFetcher, TOKEN_PLACEHOLDER } from './hub-fetcher.js';

const DEFAULT_QUERY = `# The hub. Paste a member's token into Headers below:
#   npm run -s hub -- token --member demo-isac
# then run this (Ctrl-Enter). The docs (book icon)
# need a token too: only members may introspect.
# Live alerts stream over graphql-ws from this page:
#   subscription { alerts { type indicator { value tlp } } }

query Overview {
  viewer { tier member { name } }
  indicators(first: 5) {
    totalCount
    edges { node { type value tlp severity } }
  }
}
`;

const DEFAULT_HEADERS = JSON.stringify({ Authorization: TOKEN_PLACEHOLDER }, null, 2);

/** The page's own address is the endpoint, so the page works behind a proxy that adds a prefix. */
const endpoint = new URL(window.location.pathname, window.location.origin);
const wsEndpoint = new URL(endpoint);
wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';
const hubFetcher = createHubFetcher({ url: endpoint.href, wsUrl: wsEndpoint.href });

/** The headers editor's content as an object; null while it is not (yet) a JSON object. */
function parseHeaders(headersText: string): Record<string, unknown> | null {
  if (!headersText.trim()) return {};
  try {
    const headers: unknown = JSON.parse(headersText);
    return headers && typeof headers === 'object' && !Array.isArray(headers) ? (headers as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function HubGraphiQL() {
  const [authorization, setAuthorization] = useState<string | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  // GraphiQL fetches the schema again when its fetcher changes: a new token (members only may
  // introspect) gets a new fetcher, once the analyst has stopped typing. Without a token it
  // fetches none (`schema={null}`).
  const fetcher = useMemo<Fetcher>(() => (params, opts) => hubFetcher(params, opts), [authorization]);
  const readHeaders = (headersText: string) => {
    const headers = parseHeaders(headersText);
    if (headers) setAuthorization(authorizationOf(headers)); // half-typed JSON keeps the last value
  };
  const onEditHeaders = (headersText: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => readHeaders(headersText), 400);
  };

  return (
    <HasToken.Provider value={authorization !== undefined}>
      <GraphiQL
        fetcher={fetcher}
        // No token, no schema request: it could only fail (401) and show "Error fetching schema".
        schema={authorization === undefined ? null : undefined}
        defaultTabs={[{ query: DEFAULT_QUERY, headers: DEFAULT_HEADERS }]}
        defaultHeaders={DEFAULT_HEADERS}
        defaultEditorToolsVisibility="headers"
        shouldPersistHeaders={false}
        onEditHeaders={onEditHeaders}
      >
        <GraphiQL.Logo>The hub</GraphiQL.Logo>
        <FirstSteps onHeaders={readHeaders} />
      </GraphiQL>
    </HasToken.Provider>
  );
}

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    <HubGraphiQL />
  </StrictMode>,
);
