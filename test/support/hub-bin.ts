/**
 * How tests start the hub's command line and the memory tests' hub process: `node <bundle>` from
 * the build test/support/hub-bundle-setup.ts made for this run, or, when a test runs without that
 * global setup, the sources through `tsx` (as `npm run hub` does).
 */
import { join } from 'node:path';
import { inject } from 'vitest';

const bundleDir = (() => {
  try {
    return inject('hubBundleDir');
  } catch {
    return undefined;
  }
})();

/** Arguments to `process.execPath` that run `hub` (src/bin/hub.ts); the command's own arguments follow. */
export const HUB_BIN: readonly string[] = bundleDir ? [join(bundleDir, 'hub.mjs')] : ['--import', 'tsx', 'src/bin/hub.ts'];

/** Arguments to `process.execPath` that run test/support/hub-child.ts. */
export const HUB_CHILD_BIN: readonly string[] = bundleDir ? [join(bundleDir, 'hub-child.mjs')] : ['--import', 'tsx', 'test/support/hub-child.ts'];
