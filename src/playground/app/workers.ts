/**
 * Monaco (GraphiQL 5's editor) runs its language services in web workers. The build bundles each worker into
 * its own file next to app.js (see ../build.ts); here Monaco is told where they are. Same origin, no CDN.
 */
const WORKERS: Record<string, string> = {
  json: 'json.worker.js',
  graphql: 'graphql.worker.js',
};
const base = new URL('./', import.meta.url);

Object.assign(globalThis, {
  MonacoEnvironment: {
    getWorker(_workerId: string, label: string): Worker {
      return new Worker(new URL(WORKERS[label] ?? 'editor.worker.js', base));
    },
  },
});
