import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';

/**
 * One SQLite transaction around asynchronous work: `appendWith`'s record writes, made through
 * the repositories' async methods, commit with their events (a `kill -9` between two commits
 * would keep a record and lose its alert). better-sqlite3's `db.transaction` takes synchronous
 * functions only, and the store has one connection: while the work awaits, other requests' calls
 * would run on that connection inside the open transaction (their writes acknowledged before
 * they commit and undone by a rollback; their reads seeing writes that may be rolled back).
 *
 * So every repository method is admitted through the gate (`gated`): while a transaction is
 * open, calls from other async contexts wait until it ends; calls its own work makes run in it.
 * When no transaction is open, a call runs at once, as without the gate. The work only awaits
 * the store's synchronous calls, so a transaction lasts one turn of the event loop.
 *
 * This relies on every repository method doing its SQLite work before its first `await` (they
 * all do: better-sqlite3 is synchronous), so no call admitted before a transaction began is
 * still running in it. Other processes on the file wait for the commit as for any writer
 * (`busy_timeout`); a second connection to the same file in this process must not write while a
 * transaction is open (its busy wait would hold the only thread the commit needs): the hub
 * opens one store per process.
 */
export class SqliteTransactionGate {
  private readonly scope = new AsyncLocalStorage<object>();
  /** The async context whose transaction is open, or null. */
  private holder: object | null = null;
  private waiting: Array<() => void> = [];

  constructor(private readonly db: Database.Database) {}

  /** Runs `call` now, or, while another context's transaction is open, once it has ended. */
  admit<R>(call: () => R): R | Promise<R> {
    if (this.holder === null || this.scope.getStore() === this.holder) return call();
    return this.ended().then(() => this.admit(call));
  }

  /**
   * Runs `work` in one immediate transaction, then `finish` (synchronous: the last writes, such
   * as the events the work caused), and commits. Either throwing rolls everything back. Called
   * from inside a transaction's own work, joins it.
   */
  async run<T, R>(work: () => Promise<T>, finish: (value: T) => R): Promise<R> {
    if (this.holder !== null && this.scope.getStore() === this.holder) return finish(await work());
    while (this.holder !== null) await this.ended();
    const token = {};
    this.holder = token;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = finish(await this.scope.run(token, work));
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.holder = null;
      // Off between transactions: an enabled AsyncLocalStorage makes every promise in the
      // process pay for context tracking (on Node 20); run() turns it on again.
      this.scope.disable();
      const waiting = this.waiting;
      this.waiting = [];
      for (const wake of waiting) wake();
    }
  }

  private ended(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** `repository` with every method admitted through `gate` (see SqliteTransactionGate). */
export function gated<T extends object>(repository: T, gate: SqliteTransactionGate): T {
  return new Proxy(repository, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => gate.admit(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
