/**
 * `hub export --out FILE`: every collection of the store, streamed to one NDJSON file
 * (src/store/backup-format.ts, docs/backup.md).
 */
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig } from '../config.js';
import { documentLine, headerLine, trailerLine, type BackupTrailer } from '../store/backup-format.js';
import { STORE_COLLECTIONS, type Store } from '../store/ports.js';
import { withStore } from './with-store.js';

export const EXPORT_HELP = `Usage: npm run -s hub -- export --out FILE

Writes every collection of the store the hub would open (same environment as serve) to FILE:
NDJSON, versioned, streamed (docs/backup.md). Stop the hub first: an export is a consistent
copy only of a store nobody is writing to. The file is written beside FILE and renamed into
place when complete.

Options:
  --out FILE   Where to write (required).
  --help       This text.

Environment: HUB_DATA_DIR (.hub), MONGODB_URI (unset: the embedded store), and the others serve reads.
`;

export async function exportCommand(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    out.write(EXPORT_HELP);
    return 0;
  }
  if (!values.out) throw new ConfigError('export needs --out FILE, e.g. --out hub-backup.ndjson');
  const config = parseConfig(process.env);
  const counts = await withStore(config, (store) => exportToFile(store, values.out!));
  out.write(`export: wrote ${summary(counts)} to ${values.out}\n`);
  return 0;
}

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
    for await (const doc of store.collections[name].scan()) {
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
