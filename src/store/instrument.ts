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

/** Wraps every repository method of any adapter so that each call is counted. */
export function instrumentStore(store: Store, counter: StoreCallCounter): Store {
  const wrapped: Record<string, unknown> = { close: () => store.close() };
  for (const [name, repo] of Object.entries(store)) {
    if (typeof repo !== 'object' || repo === null) continue;
    wrapped[name] = new Proxy(repo, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        const key = `${name}.${String(prop)}`;
        return (...args: unknown[]) => {
          counter.calls.set(key, (counter.calls.get(key) ?? 0) + 1);
          return value.apply(target, args);
        };
      },
    });
  }
  return wrapped as unknown as Store;
}
