/** The SQLite store's background jobs' progress (src/domain/job-state.ts): one row per job, compare-and-set on its revision. */
import type { JobStateDoc } from '../../domain/job-state.js';
import type { JobStateRepository } from '../ports.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';

export const JOB_STATES_DDL = ['CREATE TABLE IF NOT EXISTS job_states (_id TEXT PRIMARY KEY, revision TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID'];

export class SqliteJobStates implements JobStateRepository {
  constructor(private readonly s: StatementCache) {}

  async get(id: string): Promise<JobStateDoc | null> {
    const text = this.s.get('SELECT doc FROM job_states WHERE _id = ?').pluck().get(id) as string | undefined;
    return text === undefined ? null : decodeDoc<JobStateDoc>(text);
  }

  async put(doc: JobStateDoc, expected: string | null): Promise<boolean> {
    const result =
      expected === null
        ? this.s.get('INSERT OR IGNORE INTO job_states (_id, revision, doc) VALUES (?, ?, ?)').run(doc._id, doc.revision, encodeDoc(doc))
        : this.s.get('UPDATE job_states SET revision = ?, doc = ? WHERE _id = ? AND revision = ?').run(doc.revision, encodeDoc(doc), doc._id, expected);
    return result.changes === 1;
  }
}
