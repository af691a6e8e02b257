import type Database from 'better-sqlite3';

/**
 * Runs `fn` (which commits its own transaction) with commits that do not wait for the disk
 * (`synchronous = NORMAL`), then restores the connection's setting. Only for state whose last
 * commits may be lost on a power cut without harm: a rate-limit bucket taken on every request
 * (its fsync cost 5 ms of every read's latency at a million indicators, docs/performance.md).
 * In WAL mode such a commit still survives `kill -9` (it is in the WAL), and the next FULL
 * commit's fsync makes it durable too. Inside an open transaction the setting cannot apply to
 * this commit alone, so `fn` runs as it is.
 */
export function withoutFsync<R>(db: Database.Database, fn: () => R): R {
  if (db.inTransaction || db.memory) return fn();
  const pragmas = pragmasOf(db);
  const previous = pragmas.read.get() as number;
  if (previous <= 1) return fn();
  pragmas.set(NORMAL).run();
  try {
    return fn();
  } finally {
    pragmas.set(previous).run();
  }
}

const NORMAL = 1;

/**
 * The pragma statements, prepared once per connection: this runs on every request, and
 * `db.pragma()` prepares its statement anew each call (measured: 13 us for the three, 4 us prepared).
 */
const prepared = new WeakMap<Database.Database, { read: Database.Statement; set: (level: number) => Database.Statement }>();

function pragmasOf(db: Database.Database) {
  let pragmas = prepared.get(db);
  if (!pragmas) {
    const levels = new Map<number, Database.Statement>();
    pragmas = {
      read: db.prepare('PRAGMA synchronous').pluck(),
      set: (level) => {
        let statement = levels.get(level);
        if (!statement) levels.set(level, (statement = db.prepare(`PRAGMA synchronous = ${Math.trunc(level)}`)));
        return statement;
      },
    };
    prepared.set(db, pragmas);
  }
  return pragmas;
}
