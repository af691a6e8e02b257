/**
 * `npm run build:graphiql`, also run by `npm install` and `npm ci` (the `prepare` script): bundles
 * the GraphiQL page the hub serves on `GET /graphql` (src/graphiql/graphiql-bundle.ts).
 * Skips the work when the bundle is already up to date; `--force` rebuilds.
 */
import { buildGraphiqlBundle, DEFAULT_BUNDLE_DIR, ensureGraphiqlBundle } from '../src/graphiql/graphiql-bundle.js';

const started = Date.now();
const manifest = process.argv.includes('--force') ? await buildGraphiqlBundle() : await ensureGraphiqlBundle();
const total = Object.values(manifest.files).reduce((sum, size) => sum + size, 0);
const fresh = Date.parse(manifest.builtAt) >= started;
process.stderr.write(
  `graphiql: ${fresh ? `built in ${(manifest.buildMs / 1000).toFixed(1)}s` : 'up to date'}, ` +
    `${Object.keys(manifest.files).length} files, ${(total / 1024 / 1024).toFixed(1)} MiB, in ${DEFAULT_BUNDLE_DIR}\n`,
);
