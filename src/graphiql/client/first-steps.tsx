/**
 * What an analyst sees before pasting a token, and the result pane's safety: a hint where GraphiQL
 * would show "Error fetching schema" (the page fetches no schema without a token: only members may
 * introspect), and results whose URLs are text, never links (results are full of malicious URLs).
 */
import { DOC_EXPLORER_PLUGIN } from '@graphiql/plugin-doc-explorer';
import { useGraphiQL } from '@graphiql/react';
import { createContext, useContext, useEffect, type ComponentType } from 'react';

/** The result pane's text until a token is pasted: JSON, so the JSON editor marks nothing as an error. */
export const FIRST_STEPS = JSON.stringify(
  {
    hint: "Paste a member's token into Headers below, then run the query (Ctrl-Enter).",
    token: 'npm run -s hub -- token --member demo-isac',
    docs: 'The docs (book icon) load by themselves once a token is in the headers: only members may read the schema.',
  },
  null,
  2,
);

/** Whether the headers hold a token (set around `<GraphiQL>`). */
export const HasToken = createContext(false);

/**
 * Inside `<GraphiQL>`: turns link detection off in the result editor, shows {@link FIRST_STEPS} in
 * the empty result pane while there is no token, and reports the headers editor's content once at
 * start (a restored tab may already hold a token).
 */
export function FirstSteps({ onHeaders }: { onHeaders: (headersText: string) => void }) {
  const hasToken = useContext(HasToken);
  const responseEditor = useGraphiQL((state) => state.responseEditor);
  const headerEditor = useGraphiQL((state) => state.headerEditor);

  useEffect(() => {
    // Monaco underlines URLs and opens them on Ctrl/Cmd-click: in a result, a URL is evidence, not a link.
    responseEditor?.updateOptions({ links: false });
  }, [responseEditor]);

  useEffect(() => {
    if (!responseEditor) return;
    const text = responseEditor.getValue();
    if (!hasToken && text === '') responseEditor.setValue(FIRST_STEPS);
    if (hasToken && text === FIRST_STEPS) responseEditor.setValue('');
  }, [responseEditor, hasToken]);

  useEffect(() => {
    if (headerEditor) onHeaders(headerEditor.getValue());
  }, [headerEditor]); // eslint-disable-line react-hooks/exhaustive-deps -- once per editor

  return null;
}

function DocsNeedAToken() {
  return (
    <div className="graphiql-doc-explorer">
      <div className="graphiql-doc-explorer-header">
        <div className="graphiql-doc-explorer-title">Docs</div>
      </div>
      <div className="graphiql-doc-explorer-content">
        <p>The docs need a token: only members may read the schema.</p>
        <p>
          Paste one into <b>Headers</b> below; the docs load by themselves. A demo member&apos;s token:
        </p>
        <p>
          {/* Two unbreakable halves: a narrow pane wraps between them, never inside "--". */}
          <code>
            <span style={{ whiteSpace: 'nowrap' }}>npm run -s hub --</span> <span style={{ whiteSpace: 'nowrap' }}>token --member demo-isac</span>
          </code>
        </p>
      </div>
    </div>
  );
}

// GraphiQL wires its docs store only to this very plugin object, so its content is wrapped in
// place rather than replaced by a plugin of our own: the hint without a token, the explorer with one.
const Explorer: ComponentType = DOC_EXPLORER_PLUGIN.content;
DOC_EXPLORER_PLUGIN.content = function HubDocExplorer() {
  return useContext(HasToken) ? <Explorer /> : <DocsNeedAToken />;
};
