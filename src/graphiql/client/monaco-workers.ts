/**
 * Where Monaco (GraphiQL's editors) finds its web workers: files the hub serves beside this
 * bundle, never a CDN. Imported before GraphiQL so that the environment exists when Monaco starts.
 */

/** Worker file names, hashed, injected by the build (src/graphiql/graphiql-build.ts). */
declare const __HUB_MONACO_WORKERS__: { editor: string; json: string; graphql: string };

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const file = label === 'json' ? __HUB_MONACO_WORKERS__.json : label === 'graphql' ? __HUB_MONACO_WORKERS__.graphql : __HUB_MONACO_WORKERS__.editor;
    return new Worker(new URL(`./${file}`, import.meta.url), { name: label });
  },
};
