/**
 * Builds the GraphiQL page's files with esbuild (React, GraphiQL, Monaco and its web workers,
 * styles with their fonts inlined), so that the hub serves everything itself: no CDN, usable
 * air-gapped. Built at install (`npm install`/`npm ci` run `scripts/build-graphiql.ts`) and, when
 * missing or out of date, by the hub on the first request for the page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { BuildOptions } from 'esbuild';

/** The folder holding package.json: `../../` from the sources, `../../../` from the build in dist/. */
const PROJECT_ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));
/** The browser sources and this module's own source, hashed into the stamp whether the hub runs from src/ or dist/. */
const CLIENT_DIR = join(PROJECT_ROOT, 'src', 'graphiql', 'client');
const BUNDLER_SOURCE = join(PROJECT_ROOT, 'src', 'graphiql', 'graphiql-bundle.ts');

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`graphiql: no package.json above ${from}`);
  }
}

/** Where the bundle is written by default: git-ignored, and rebuilt by every `npm ci`. */
export const DEFAULT_BUNDLE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'hub-graphiql');

/** `manifest.json` in the bundle directory. */
export interface GraphiqlManifest {
  /** Hash of what the bundle is built from (client sources, this file, package-lock.json). */
  stamp: string;
  /** The page's module script and stylesheet, file names in the bundle directory. */
  script: string;
  stylesheet: string;
  /** Every file the hub serves, with its size in bytes (a `.gz` twin may sit beside it). */
  files: Record<string, number>;
  builtAt: string;
  buildMs: number;
}

/** Hash of the inputs: a bundle with another stamp is out of date. */
export async function graphiqlSourceStamp(): Promise<string> {
  const hash = createHash('sha256');
  const clientFiles = (await readdir(CLIENT_DIR)).sort();
  for (const file of clientFiles) hash.update(file).update(await readFile(join(CLIENT_DIR, file)));
  hash.update(await readFile(BUNDLER_SOURCE));
  hash.update(await readFile(join(PROJECT_ROOT, 'package-lock.json')).catch(() => ''));
  return hash.digest('hex').slice(0, 16);
}

/** The manifest of the bundle in `dir`, or undefined when there is none. */
export async function readGraphiqlManifest(dir: string = DEFAULT_BUNDLE_DIR): Promise<GraphiqlManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as GraphiqlManifest;
  } catch {
    return undefined;
  }
}

const MONACO_WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

const COMPRESSIBLE = /\.(js|css|ttf|svg|json)$/;

/**
 * Builds the bundle into `dir` (replacing what is there) and returns its manifest. Writes to a
 * sibling directory first and renames it into place, so concurrent builds and readers never see
 * half a bundle. Throws esbuild's error when the sources do not build.
 */
export async function buildGraphiqlBundle(dir: string = DEFAULT_BUNDLE_DIR): Promise<GraphiqlManifest> {
  const started = Date.now();
  const { build } = await import('esbuild');
  const stamp = await graphiqlSourceStamp();
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  try {
    const common: BuildOptions = {
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      minify: true,
      platform: 'browser',
      target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
      outdir: staging,
      entryNames: '[name]-[hash]',
      metafile: true,
      logLevel: 'error',
      define: { 'process.env.NODE_ENV': '"production"' },
    };

    const workers = await build({ ...common, format: 'iife', entryPoints: Object.entries(MONACO_WORKERS).map(([name, path]) => ({ in: path, out: `${name}.worker` })) });
    const workerFiles = Object.fromEntries(
      Object.entries(workers.metafile!.outputs).map(([out, meta]) => [Object.entries(MONACO_WORKERS).find(([, path]) => meta.entryPoint?.endsWith(path))![0], basename(out)]),
    );

    const app = await build({
      ...common,
      // One script and one stylesheet: with code splitting, esbuild would put the CSS of lazily
      // loaded modules (Monaco's) in stylesheets nothing loads.
      format: 'esm',
      jsx: 'automatic',
      entryPoints: [{ in: join(CLIENT_DIR, 'graphiql-app.tsx'), out: 'graphiql' }],
      assetNames: '[name]-[hash]',
      loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
      define: { ...common.define, __HUB_MONACO_WORKERS__: JSON.stringify(workerFiles) },
    });
    const entry = Object.entries(app.metafile!.outputs).find(([, meta]) => meta.entryPoint?.endsWith('graphiql-app.tsx'));
    if (!entry?.[1].cssBundle) throw new Error('esbuild produced no GraphiQL script or stylesheet');

    const files: Record<string, number> = {};
    for (const name of await readdir(staging)) {
      const body = await readFile(join(staging, name));
      files[name] = body.length;
      if (COMPRESSIBLE.test(name) && body.length > 1024) await writeFile(join(staging, `${name}.gz`), await promisify(gzip)(body, { level: 9 }));
    }
    const manifest: GraphiqlManifest = {
      stamp,
      script: basename(entry[0]),
      stylesheet: basename(entry[1].cssBundle),
      files,
      builtAt: new Date().toISOString(),
      buildMs: Date.now() - started,
    };
    await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    await mkdir(dirname(dir), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another process renamed its build into place first: keep it if it is as fresh as ours.
      if ((await readGraphiqlManifest(dir))?.stamp !== stamp) throw err;
    });
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The manifest of an up-to-date bundle in `dir`, building it first when it is missing or its
 * stamp differs (unless `build` is false: then it throws, naming the command to run).
 */
export async function ensureGraphiqlBundle(dir: string = DEFAULT_BUNDLE_DIR, options: { build?: boolean } = {}): Promise<GraphiqlManifest> {
  const [manifest, stamp] = await Promise.all([readGraphiqlManifest(dir), graphiqlSourceStamp()]);
  if (manifest?.stamp === stamp) return manifest;
  if (options.build === false) throw new Error(`the GraphiQL bundle in ${dir} is ${manifest ? 'out of date' : 'missing'}: run npm run build:graphiql`);
  return buildGraphiqlBundle(dir);
}
