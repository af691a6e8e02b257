/**
 * The transaction a record write belongs to, without threading a session through the port: the
 * event log's `appendWith` runs its work inside `sessionScope.run(session, ...)`, and the record
 * repositories (MongoRecords, the indicators' upserts) add `inSession()` to their driver calls.
 * Sequences, idempotency keys, audit entries and members never join: their documents are shared
 * by every request (a counter in a transaction would make concurrent publishes conflict), and
 * none of them needs to commit with a record's event.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientSession } from 'mongodb';

export const sessionScope = new AsyncLocalStorage<ClientSession>();

/** `{session}` inside a record transaction, else nothing. */
export function inSession(): { session?: ClientSession } {
  const session = sessionScope.getStore();
  return session ? { session } : {};
}
