import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/support/summary-reporter.js';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, and so Apollo and graphql-ws,
    // load the CJS one; Vite would hand our own code the ESM one, and then `instanceof
    // GraphQLError` fails across the two copies. Resolve it exactly as Node does.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one file at a time on a 2-core machine,
    // where much of a file's time is spent waiting (child processes, sockets, timers). One per core.
    maxWorkers: Math.max(2, availableParallelism()),
    // The hub's command line and hub-child.ts built once per run (the tests start ~90 such processes).
    globalSetup: ['test/support/hub-bundle-setup.ts'],
    reporters: ['default', new SummaryReporter()],
  },
});
