/**
 * `hub import --in FILE`: loads a `hub export` file into an empty store (docs/backup.md). The
 * file is read twice: once to check it whole (header, every line, the trailer's counts), then
 * to load it, so a damaged or truncated file writes nothing.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseConfig } from '../config.js';
import { BackupFormatError, parseHeader, parseLine, type BackupTrailer } from '../store/backup-format.js';
import { STORE_COLLECTIONS, type Store, type StoreCollectionName, type StoredDocument } from '../store/ports.js';
import { summary } from './export.js';
import { STORE_ENV, str, UsageError, type Command } from './command.js';
import { withStore } from './with-store.js';
import { withId } from '../domain/with-id.js';

export const importCommand: Command = {
  path: ['import'],
  summary: 'Load a file written by export into an empty store (restore, or move to MongoDB).',
  details: `Loads the file into the store the hub would open (same environment as serve), which must be
empty: import refuses a store that holds anything, and a damaged or truncated file, writing
nothing. Moving from the embedded store to MongoDB: export with the embedded store, import with
MONGODB_URI set (docs/backup.md); then run audit verify.`,
  options: {
    in: { type: 'string', value: '<file>', description: 'the export to load', required: true },
  },
  env: STORE_ENV,
  examples: ['MONGODB_URI=mongodb://db.example/hub npm run -s hub -- import --in hub-backup.ndjson'],
  async run({ values, env }) {
    const path = str(values, 'in')!;
    if (!existsSync(path)) throw new UsageError(`import: ${path} does not exist`);
    const config = parseConfig(env);
    try {
      await checkFile(path);
      const counts = await withStore(config, (store) => importFromFile(store, path, { checked: true }));
      return { text: `import: loaded ${summary(counts)} from ${path}; check the audit log with: npm run -s hub -- audit verify`, json: { file: path, counts } };
    } catch (err) {
      if (err instanceof StoreNotEmptyError || err instanceof BackupFormatError) throw new UsageError(`import: ${err.message}`);
      throw err;
    }
  },
};

/** Raised when the target store is not empty: nothing was written. */
export class StoreNotEmptyError extends Error {
  override readonly name = 'StoreNotEmptyError';
}

/** Collections whose records carry `dateAddedOffset`: an export written before it had them gets it on import. */
const DATED: ReadonlySet<StoreCollectionName> = new Set(['indicators', 'notices', 'sightings']);

/** Documents per `load` call. */
const BATCH = 1_000;

/** Checks the file, checks the store is empty, loads. The documents loaded per collection. */
export async function importFromFile(store: Store, path: string, options: { checked?: boolean } = {}): Promise<BackupTrailer['counts']> {
  if (!options.checked) await checkFile(path);
  await assertEmpty(store);
  const counts: BackupTrailer['counts'] = {};
  let batch: StoredDocument[] = [];
  let current: StoreCollectionName | null = null;
  const flush = async () => {
    if (current && batch.length) await store.backup[current].load(batch);
    batch = [];
  };
  for await (const item of documents(path)) {
    if ('end' in item) break;
    if (item.collection !== current || batch.length >= BATCH) {
      await flush();
      current = item.collection;
    }
    batch.push(DATED.has(item.collection) && typeof item.doc.dateAddedOffset !== 'number' ? { ...item.doc, ...withId(String(item.doc._id)) } : item.doc);
    counts[item.collection] = (counts[item.collection] ?? 0) + 1;
  }
  await flush();
  return counts;
}

/** Refuses, naming what it holds, a store with any document in any collection. */
export async function assertEmpty(store: Store): Promise<void> {
  const held: string[] = [];
  for (const name of STORE_COLLECTIONS) {
    for await (const _doc of store.backup[name].scan()) {
      held.push(name);
      break;
    }
  }
  if (held.length) throw new StoreNotEmptyError(`the target store is not empty (it holds ${held.join(', ')}); import only into an empty store, e.g. a new HUB_DATA_DIR or MongoDB database`);
}

/** First pass: every line parses, and the trailer's counts match what the file holds. */
export async function checkFile(path: string): Promise<void> {
  const counts: BackupTrailer['counts'] = {};
  let trailer: BackupTrailer | null = null;
  for await (const item of documents(path)) {
    if (trailer) throw new BackupFormatError('lines after the end line: not one export');
    if ('end' in item) trailer = item;
    else counts[item.collection] = (counts[item.collection] ?? 0) + 1;
  }
  if (!trailer) throw new BackupFormatError('the file has no end line: it was truncated, or the export did not finish');
  for (const name of STORE_COLLECTIONS) {
    if ((trailer.counts[name] ?? 0) !== (counts[name] ?? 0)) {
      throw new BackupFormatError(`${name}: the end line counts ${trailer.counts[name] ?? 0} documents, the file holds ${counts[name] ?? 0}`);
    }
  }
}

async function* documents(path: string): AsyncIterable<ReturnType<typeof parseLine>> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (n === 1) {
        parseHeader(line);
        continue;
      }
      if (line.trim() === '') continue;
      yield parseLine(line, n);
    }
  } finally {
    lines.close();
  }
  if (n === 0) throw new BackupFormatError('the file is empty');
}
