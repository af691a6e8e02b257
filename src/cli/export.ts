/**
 * `hub export --out FILE`: every collection of the store, streamed to one NDJSON file
 * (src/store/backup-format.ts, docs/backup.md).
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { parseConfig } from '../config.js';
import { documentLine, headerLine, trailerLine, type BackupTrailer } from '../store/backup-format.js';
import { STORE_COLLECTIONS, type Store } from '../store/ports.js';
import { STORE_ENV, str, type Command } from './command.js';
import { withStore } from './with-store.js';

export const exportCommand: Command = {
  path: ['export'],
  summary: 'Write every collection of the store to one NDJSON file (backup, or moving to MongoDB).',
  details: `Streams every collection of the store the hub would open (same environment as serve) to the
file: a versioned header, one line per document, an end line with the counts (docs/backup.md).
Stop the hub first: an export is a consistent copy only of a store nobody writes to. The file is
written beside its name and renamed into place when complete.`,
  options: {
    out: { type: 'string', value: '<file>', description: 'where to write', required: true },
  },
  env: STORE_ENV,
  examples: ['npm run -s hub -- export --out hub-backup.ndjson'],
  async run({ values, env }) {
    const out = str(values, 'out')!;
    const config = parseConfig(env);
    const counts = await withStore(config, (store) => exportToFile(store, out));
    return { text: `export: wrote ${summary(counts)} to ${out}`, json: { file: out, counts } };
  },
};

/** Exports to `path` (through `path.partial`, renamed when complete); the documents written per collection. */
export async function exportToFile(store: Store, path: string, createdAt = new Date()): Promise<BackupTrailer['counts']> {
  const partial = `${path}.partial`;
  const file = createWriteStream(partial, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => file.once('error', reject));
  failed.catch(() => undefined);
  const write = async (text: string) => {
    if (!file.write(text)) await Promise.race([once(file, 'drain'), failed]);
  };
  try {
    const counts = await exportStore(store, write, createdAt);
    file.end();
    await Promise.race([once(file, 'finish'), failed]);
    renameSync(partial, path);
    return counts;
  } catch (err) {
    file.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Writes header, every document of every collection, trailer. */
export async function exportStore(store: Store, write: (text: string) => Promise<void>, createdAt = new Date()): Promise<BackupTrailer['counts']> {
  await write(headerLine(createdAt));
  const counts: BackupTrailer['counts'] = {};
  for (const name of STORE_COLLECTIONS) {
    let n = 0;
    for await (const doc of store.backup[name].scan()) {
      await write(documentLine(name, doc));
      n++;
    }
    counts[name] = n;
  }
  await write(trailerLine(counts));
  return counts;
}

export function summary(counts: BackupTrailer['counts']): string {
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  const parts = Object.entries(counts).filter(([, n]) => n).map(([c, n]) => `${c} ${n}`);
  return `${total} documents${parts.length ? ` (${parts.join(', ')})` : ''}`;
}
