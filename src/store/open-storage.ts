import type { Logger } from 'pino';
import { ConfigError, type HubConfig } from '../config.js';
import { InProcessEventBus, type EventBus } from '../events/event-bus.js';
import { createMemoryStore } from './memory/memory-store.js';
import type { Store } from './ports.js';

/** The store the configuration selects, with the bus that carries its changes. */
export interface Storage {
  store: Store;
  bus: EventBus;
  health: () => Promise<{ ok: boolean; store: string }>;
  /**
   * Whether another process opening the same configuration sees the same records (MongoDB, a
   * durable embedded file): the operator's CLI acts on the store only when it is.
   */
  shared: boolean;
}

/**
 * The store and bus the configuration selects (`HUB_STORE`, docs/storage.md): SQLite in
 * HUB_DATA_DIR by default, MongoDB when MONGODB_URI is set (docs/mongodb.md), or the in-process
 * store. MongoDB unreachable is a ConfigError naming the host: the hub stops, it never falls back
 * to the embedded store. Used by the hub and the CLI alike.
 */
export async function openStorage(config: HubConfig, log: Logger): Promise<Storage> {
  if (config.store === 'memory') {
    return { store: createMemoryStore(), bus: new InProcessEventBus(), health: async () => ({ ok: true, store: 'memory' }), shared: false };
  }
  if (config.store === 'sqlite') {
    // Loaded only here, as the MongoDB driver below.
    const { createSqliteStore, sqliteStorePath } = await import('./sqlite/sqlite-store.js');
    const { SqliteEventBus } = await import('./sqlite/sqlite-event-bus.js');
    const path = sqliteStorePath(config.dataDir);
    let store;
    try {
      store = createSqliteStore(path);
    } catch (err) {
      throw new ConfigError(`HUB_DATA_DIR: cannot open the store ${path}: ${(err as Error).message}`);
    }
    const bus = await SqliteEventBus.start({ db: store.db, log: store.events, logger: log });
    const health = async () => {
      try {
        store.db.prepare('SELECT 1').get();
        return { ok: true, store: 'sqlite' };
      } catch {
        return { ok: false, store: 'sqlite' };
      }
    };
    // Every process opening HUB_DATA_DIR/hub.db sees the same records (SqliteEventBus carries the changes).
    return { store, bus, health, shared: true };
  }
  // Loaded only here: the embedded store never loads the driver.
  const { openMongoBackend, MongoUnavailableError } = await import('./mongo/mongo-backend.js');
  try {
    const backend = await openMongoBackend(config.mongodbUri!, {
      logger: log,
      eventRetentionMs: config.eventRetentionMs,
      ...(config.instanceId ? { instanceName: config.instanceId } : {}),
    });
    return { ...backend, shared: true };
  } catch (err) {
    if (err instanceof MongoUnavailableError) throw new ConfigError(`MONGODB_URI: ${err.message}`);
    throw err;
  }
}
