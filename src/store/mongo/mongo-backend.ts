/**
 * Everything the composition root needs to run on MongoDB, opened in order: connect (fail fast,
 * clear message), ensure indexes, store, bus. The only entry into `src/store/mongo/` from
 * `src/main.ts`, loaded on demand so that the embedded store never loads the driver.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Store } from '../ports.js';
import { connectMongo } from './mongo-connection.js';
import { MongoEventBus } from './mongo-event-bus.js';
import { ensureIndexes } from './mongo-indexes.js';
import { backfillDateAddedOffset } from './mongo-date-added-backfill.js';
import { createMongoStore } from './mongo-store.js';

export { MongoUnavailableError } from './mongo-connection.js';

export interface MongoBackendOptions {
  logger: Logger;
  /** HUB_EVENT_RETENTION, ms. */
  eventRetentionMs: number;
  /** The key of this instance's saved change-stream position. Default: the host name. */
  instanceName?: string;
  /** Default 5 s unless the URI sets its own. */
  serverSelectionTimeoutMS?: number;
}

export interface MongoBackend {
  store: Store;
  bus: MongoEventBus;
  /** `/healthz`: whether the database answers a ping within 2 s. */
  health: () => Promise<{ ok: boolean; store: 'mongodb'; instance: string }>;
  /** `host:port/database`, no credentials. */
  where: string;
}

const HEALTH_TIMEOUT_MS = 2_000;
/** How often events left pending by an interrupted write are looked for (see MongoEventLog.appendWith). */
const PENDING_SWEEP_MS = 60_000;

/** Throws MongoUnavailableError (a message for the operator) when MongoDB cannot be used. */
export async function openMongoBackend(uri: string, options: MongoBackendOptions): Promise<MongoBackend> {
  const { client, db, where } = await connectMongo(uri, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS });
  try {
    await ensureIndexes(db, undefined, {
      onSlowBuild: (collection, err) =>
        options.logger.warn({ err, collection }, 'index builds on this collection did not finish in time; starting without waiting (queries are correct, slower until they finish; the next start asks again)'),
    });
    const backfilled = await backfillDateAddedOffset(db);
    if (backfilled > 0) options.logger.info({ records: backfilled }, 'gave records written by an earlier hub their TAXII date_added offset');
    const instance = options.instanceName ?? hostname();
    const store = createMongoStore(client, db, { eventRetentionMs: options.eventRetentionMs });
    const bus = await MongoEventBus.start({ db, log: store.events, logger: options.logger, instanceName: instance });
    options.logger.info({ mongodb: where, instance }, 'store: MongoDB');
    // Events whose records committed before a crash took their log append: into the log, now and
    // every minute (any instance may; each is appended once).
    const sweepPending = () =>
      store.events
        .appendPending()
        .then((n) => n > 0 && options.logger.warn({ events: n }, 'appended events left pending by an interrupted write'))
        .catch((err: unknown) => options.logger.error({ err }, 'appending pending events failed; retrying in a minute'));
    await sweepPending();
    const sweeper = setInterval(() => void sweepPending(), PENDING_SWEEP_MS);
    sweeper.unref();
    const close = store.close;
    store.close = () => {
      clearInterval(sweeper);
      return close();
    };
    const health = async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS)));
      const ping = db.command({ ping: 1 }).then(() => true, () => false);
      const ok = await Promise.race([ping, timeout]);
      clearTimeout(timer);
      return { ok, store: 'mongodb' as const, instance };
    };
    return { store, bus, health, where };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
