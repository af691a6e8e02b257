/**
 * A request's context stays lazy through Apollo's copy of it: the loaders and the child logger
 * are made only when a resolver asks, on the copy that runs the operation.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createContext, type Services } from '../src/context.js';
import { ANONYMOUS } from '../src/policy/policy.js';

/** What Apollo Server does to every context before a request runs (ApolloServer.ts `cloneObject`). */
const apolloCopy = <T extends object>(o: T): T => Object.assign(Object.create(Object.getPrototypeOf(o)), o);

describe('a request context', () => {
  it('makes no child logger and no loaders when Apollo copies it, and makes them on first use of the copy', () => {
    const log = pino({ level: 'silent' });
    let children = 0;
    const child = log.child.bind(log);
    log.child = ((...args: Parameters<typeof child>) => (children++, child(...args))) as typeof log.child;
    const services = { members: { getMany: async () => [] } } as unknown as Services;
    const copy = apolloCopy(createContext(services, ANONYMOUS, 'req-1', log));
    expect(children).toBe(0);
    expect(copy.log.bindings()).toMatchObject({ requestId: 'req-1' });
    expect(copy.log).toBe(copy.log);
    expect(children).toBe(1);
    expect(copy.loaders).toBe(copy.loaders);
    expect(copy.viewer).toBe(ANONYMOUS);
    expect(copy.redacted).toBeInstanceOf(Set);
  });
});
