/**
 * The playground served at GET /graphql: GraphiQL 5, bundled with its Monaco workers by ../build.ts into
 * ../dist at install time, so it loads from the gateway itself (no CDN).
 */
import 'graphiql/style.css';
import '@graphiql/react/font/roboto.css';
import '@graphiql/react/font/fira-code.css';
import './playground.css';
import './workers.ts';
import { GraphiQL } from 'graphiql';
import { useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { EXAMPLE_TABS, HEADERS_HINT } from './examples.ts';
import { createPlaygroundFetcher } from './fetcher.ts';
import { sharedOperation } from './shared-link.ts';
import { type Transcript, createTranscript } from './transcript.ts';

// The page's own URL is the endpoint (GET /graphql serves this page), so it also works behind a path prefix.
const url = `${location.origin}${location.pathname.replace(/\/+$/, '')}`;
const transcript = createTranscript();
const fetcher = createPlaygroundFetcher({ url, subscriptionUrl: url.replace(/^http/, 'ws'), observer: transcript });

// A shared link (`?query=…&variables=…`) opens its operation: as the first tab in a fresh browser, as a new
// (or the matching) tab where GraphiQL has saved tabs. The URL is then cleaned so a reload keeps the user's edits.
const shared = sharedOperation(location.search);
const tabs = shared ? [{ query: shared.query, variables: shared.variables, headers: HEADERS_HINT }, ...EXAMPLE_TABS] : EXAMPLE_TABS;
if (shared) history.replaceState(null, '', location.pathname);

const STATUS: Record<string, string> = { streaming: 'streaming…', done: 'done', stopped: 'stopped', error: 'failed' };

function StreamPanel({ transcript }: { transcript: Transcript }) {
  const s = useSyncExternalStore(transcript.subscribe, transcript.getSnapshot);
  if (s.status === 'idle') {
    return (
      <p className="gw-hint" data-testid="key-hint">
        Chat operations need a gateway key: in <b>Headers</b> set <code>{'"Authorization": "Bearer <key>"'}</code> (
        <code>npm run demo</code> prints one). Subscriptions send it as graphql-ws{' '}
        <code>connectionParams.authorization</code> (or as the header over SSE where websockets are blocked).
      </p>
    );
  }
  return (
    <section className="gw-stream" data-testid="stream-transcript" data-status={s.status} aria-live="polite">
      <div className="gw-stream-head">
        Streamed text · {s.operationName ?? 'subscription'} · {s.events} events · {STATUS[s.status]}
        {s.summary ? ` · ${s.summary}` : ''}
      </div>
      <div className="gw-stream-text" data-testid="stream-text">
        {s.text}
      </div>
    </section>
  );
}

const root = document.getElementById('graphiql');
if (!root) throw new Error('#graphiql is missing from the page');
createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={tabs}
    initialQuery={shared?.query}
    initialVariables={shared?.variables}
    defaultHeaders={HEADERS_HINT}
    // Keys stay out of localStorage unless the user opts in (Settings → Persist headers).
    shouldPersistHeaders={false}
    showPersistHeadersSettings
    defaultEditorToolsVisibility
  >
    <GraphiQL.Logo>Together gateway</GraphiQL.Logo>
    <GraphiQL.Footer>
      <StreamPanel transcript={transcript} />
      <p className="gw-links">
        <a href="/dashboard" data-testid="dashboard-link">Usage dashboard</a>: spend, latency and TTFT per model and key
      </p>
    </GraphiQL.Footer>
  </GraphiQL>,
);
