import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** Options of `SqliteCheckpointer`. */
export interface SqliteCheckpointerOptions {
  /** How often the worker copies committed WAL frames into the database file. Default 100 ms. */
  intervalMs?: number;
  /**
   * While the worker runs, the hub's own connection still checkpoints in its commit once the WAL
   * holds this many pages (the worker fell behind): a bound on the WAL file. Default 65,536 pages
   * (256 MiB at SQLite's 4 KiB pages).
   */
  walLimitPages?: number;
}

/**
 * The WAL's checkpoints, on a thread of their own once the hub writes in bulk.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the hub's
 * thread: at a million indicators a publish of 5,000 dirties about 100 MB of index pages, and
 * copying them into the database file and fsyncing it then cost the publish about as much again as
 * writing and fsyncing the WAL. Once `engage()` is called (the first bulk publish), a second
 * connection in a worker thread runs `PRAGMA wal_checkpoint(PASSIVE)` whenever another connection
 * committed (checked every `intervalMs`); a passive checkpoint never blocks the writer or readers.
 * The hub's commit then writes and fsyncs the WAL only. Until then (small writes: tests, a quiet
 * hub) SQLite's own checkpoint every 1,000 pages is kept, and no thread is started.
 *
 * Durability is the WAL's and unchanged: a commit is durable once its WAL frames are fsynced
 * (`synchronous = FULL`), and a checkpoint only moves committed pages into the main file, crash-safe
 * at any point (SQLite's design). Why a worker and not a timer on the hub's thread: better-sqlite3 is
 * synchronous, so a checkpoint there would stall every request while it ran. The worker is plain
 * JavaScript evaluated from a string, so it runs the same under tsx, vitest and the compiled build.
 */
export class SqliteCheckpointer {
  private worker: Worker | null = null;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly options: SqliteCheckpointerOptions = {},
  ) {}

  /** Starts the worker (once) and leaves ordinary checkpoints to it. */
  engage(): void {
    if (this.worker || this.closed) return;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path: this.path, intervalMs: this.options.intervalMs ?? 100 } });
    // A worker that failed to open or died: the hub's own commit checkpoints past the limit, as before.
    this.worker.on('error', () => undefined);
    this.worker.unref();
    this.db.pragma(`wal_autocheckpoint = ${this.options.walLimitPages ?? 65_536}`);
  }

  /** Whether the worker runs (tests). */
  get engaged(): boolean {
    return this.worker !== null;
  }

  /** Stops the worker and closes its connection, before the hub's own (which checkpoints what is left). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 10000');
db.pragma('wal_autocheckpoint = 0');
let seen = -1;
const timer = setInterval(() => {
  try {
    const version = db.pragma('data_version', { simple: true });
    if (version === seen) return;
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    // Frames left (a reader still needed them): try again at the next interval.
    if (result && result.log === result.checkpointed) seen = version;
  } catch {
    // busy or interrupted: the next interval tries again
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
