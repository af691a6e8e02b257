/**
 * Vitest global setup: builds the hub's command line (src/bin/hub.ts) and the memory tests' hub
 * process (test/support/hub-child.ts) once per run, with esbuild, into a temporary folder, so that
 * the ~90 processes the tests start load one prebuilt file each (~0.3 s of CPU) instead of
 * compiling the sources through `tsx` every time (~1.1 s). test/support/hub-bin.ts hands the
 * tests the command; the `npm run hub` wiring itself is still run once (test/cli.test.ts).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding `hub.mjs` and `hub-child.mjs`, built for this run. */
    hubBundleDir: string;
  }
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every bundled module keeps its own `import.meta.url` (that of its source file), so that what the
 * hub finds beside its sources (schema/*.graphql, the GraphiQL client) is found exactly as under tsx.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bundle-'));
  // Packages left outside the bundle (native code, optional driver plugins, worker threads) resolve from here.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await build({
    entryPoints: { hub: join(ROOT, 'src/bin/hub.ts'), 'hub-child': join(ROOT, 'test/support/hub-child.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    // Native modules, the MongoDB driver's optional plugins, and packages that start worker threads from their own files.
    external: ['better-sqlite3', 'lmdb', 'esbuild', 'pino', 'thread-stream', 'pino-pretty', 'kerberos', 'snappy', 'socks', 'aws4', 'gcp-metadata', 'mongodb-client-encryption', '@mongodb-js/zstd', '@aws-sdk/credential-providers'],
    // CommonJS packages inside an ES module bundle still `require` the externals.
    banner: { js: "import { createRequire as __hubCreateRequire } from 'node:module'; const require = __hubCreateRequire(import.meta.url);" },
    plugins: [ownImportMetaUrl],
    logLevel: 'warning',
  });
  project.provide('hubBundleDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
