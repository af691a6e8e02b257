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
 * The store and bus the configuration selects: MongoDB when MONGODB_URI is set (docs/mongodb.md),
 * else the embedded store with the in-process bus. MongoDB unreachable is a ConfigError naming
 * the host: the hub stops, it never falls back to the embedded store. Used by the hub and the CLI alike.
 */
export async function openStorage(config: HubConfig, log: Logger): Promise<Storage> {
  if (!config.mongodbUri) {
    return { store: createMemoryStore(), bus: new InProcessEventBus(), health: async () => ({ ok: true, store: 'embedded' }), shared: false };
  }
  // Loaded only here: the embedded store never loads the driver.
  const { openMongoBackend, MongoUnavailableError } = await import('./mongo/mongo-backend.js');
  try {
    const backend = await openMongoBackend(config.mongodbUri, {
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
