import type { Store } from './ports.js';

/** Counts of store operations, by `repository.method`: the figures behind "bounded store calls". */
export class StoreCallCounter {
  readonly calls = new Map<string, number>();

  get total(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  reset(): void {
    this.calls.clear();
  }
}

/**
 * Hears how long each store operation took (metrics implement it). `repository` is the store's
 * property (`indicators`) and `operation` the method called (`find`): names from the code, never data.
 */
export type StoreOperationObserver = (repository: string, operation: string, durationSeconds: number) => void;

/**
 * Wraps every repository method of any adapter so that each call is counted and, when `observe`
 * is given, timed until its promise settles (failures included). Default: counted only.
 */
export function instrumentStore(store: Store, counter: StoreCallCounter, observe?: StoreOperationObserver): Store {
  const wrapped: Record<string, unknown> = { close: () => store.close() };
  for (const [name, repo] of Object.entries(store)) {
    if (typeof repo !== 'object' || repo === null) continue;
    wrapped[name] = new Proxy(repo, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const operation = String(prop);
        const key = `${name}.${operation}`;
        return (...args: unknown[]) => {
          counter.calls.set(key, (counter.calls.get(key) ?? 0) + 1);
          if (!observe) return value.apply(target, args);
          const started = performance.now();
          const done = () => observe(name, operation, (performance.now() - started) / 1000);
          const result: unknown = value.apply(target, args);
          if (result instanceof Promise) return result.finally(done);
          done();
          return result;
        };
      },
    });
  }
  return wrapped as unknown as Store;
}
