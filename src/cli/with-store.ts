import { pino } from 'pino';
import type { HubConfig } from '../config.js';
import { openStorage } from '../store/open-storage.js';
import type { Store } from '../store/ports.js';
import { CommandError } from './command.js';

/**
 * Runs `work` on the store `serve` would open with this configuration (HUB_DATA_DIR,
 * MONGODB_URI...), then closes it, whatever `work` did. For commands that read or write the
 * store directly (`audit verify`, `export`, `import`): no listener, no services. Refuses a store
 * no other process can see (the in-process embedded store): it would be empty here, and an
 * import into it would vanish with this process.
 */
export async function withStore<T>(config: HubConfig, work: (store: Store) => Promise<T>): Promise<T> {
  const storage = await openStorage(config, pino({ level: 'silent' }));
  if (!storage.shared) {
    await storage.store.close();
    throw new CommandError(
      'STORE_NOT_SHARED',
      'this store lives only inside one process, so this command would see an empty one: set MONGODB_URI (docs/mongodb.md) or use the durable embedded store',
    );
  }
  try {
    return await work(storage.store);
  } finally {
    await storage.bus.close?.();
    await storage.store.close();
  }
}
