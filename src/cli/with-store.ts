import { pino } from 'pino';
import type { HubConfig } from '../config.js';
import { openStorage } from '../main.js';
import type { Store } from '../store/ports.js';

/**
 * Runs `work` on the store `serve` would open with this configuration (HUB_DATA_DIR,
 * MONGODB_URI...), then closes it, whatever `work` did. For commands that read or write the
 * store directly (`audit verify`, `export`, `import`): no listener, no services.
 */
export async function withStore<T>(config: HubConfig, work: (store: Store) => Promise<T>): Promise<T> {
  const storage = await openStorage(config, pino({ level: 'silent' }));
  try {
    return await work(storage.store);
  } finally {
    await storage.bus.close?.();
    await storage.store.close();
  }
}
