/** The SQLite store's decay models (src/domain/decay-model.ts): one row per indicator type, read whole. */
import type { DecayModelDoc } from '../../domain/decay-model.js';
import type { DecayModelRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

export const DECAY_MODELS_DDL = ['CREATE TABLE IF NOT EXISTS decay_models (_id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID'];

export class SqliteDecayModels implements DecayModelRepository {
  constructor(private readonly s: StatementCache) {}

  async all(): Promise<DecayModelDoc[]> {
    return (this.s.get('SELECT doc FROM decay_models ORDER BY _id').pluck().all() as string[]).map((text) => decodeDoc<DecayModelDoc>(text));
  }

  async put(doc: DecayModelDoc): Promise<void> {
    this.s.get('INSERT INTO decay_models (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO UPDATE SET doc = excluded.doc').run(doc._id, encodeDoc(doc));
  }
}
