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
  const previous = db.pragma('synchronous', { simple: true }) as number;
  if (previous <= 1) return fn();
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}
