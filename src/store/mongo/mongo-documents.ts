/**
 * The documents the MongoDB adapter sends besides the shared query documents of `queries.ts`
 * and `policy.ts`: the upserts of a publish, the event log's appends and bounds, idempotency
 * claims, sequence increments. Pure functions, so that unit tests assert their shape and run
 * them through mingo (test/mongo-queries.test.ts) without a server.
 */
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { EventDoc, NewEvent } from '../../domain/events.js';
import type { IndicatorDoc } from '../../domain/types.js';
import type { Filter } from '../../domain/filter.js';
import type { ClaimUpsert, ClaimUpsertResult, IdempotencyRecord, SortSpec } from '../ports.js';
import type { NowExpression } from './mongo-clock.js';

/** A SortSpec as the driver takes it: ordered `[field, direction]` pairs. */
export function toMongoSort(sort: SortSpec | undefined): Array<[string, 1 | -1]> | undefined {
  return sort && sort.length > 0 ? sort.map(([field, direction]) => [field, direction]) : undefined;
}

// ---- indicators: a publish is one ordered bulk of upserts on the unique claim key ----

export type ClaimKey = ClaimUpsert['key'];

/** The claim's identity, also the unique index `indicators_claim`: equality on all three fields. */
export function claimFilter(key: ClaimKey): Filter {
  return { source: key.source, type: key.type, value: key.value };
}

export function claimKeyString(key: ClaimKey): string {
  return `${key.source}\u0000${key.type}\u0000${key.value}`;
}

/**
 * One `updateOne` upsert per claim, in input order. A new claim gets the filter's key fields,
 * then `$setOnInsert`, then `$set`, exactly as the embedded store builds it; `$set` wins a field
 * named in both (MongoDB refuses the same path in two operators, so it is left out of
 * `$setOnInsert`).
 *
 * Concurrent publishes of the same new claim: the filter is equality on exactly the fields of
 * the unique index and the update changes none of them, so MongoDB (4.2+) retries the loser's
 * duplicate-key insert as an update itself. A retried batch therefore updates, never duplicates.
 */
export function claimUpsertOps(upserts: readonly ClaimUpsert[]): Array<AnyBulkWriteOperation<IndicatorDoc>> {
  return upserts.map((u) => {
    const onInsert: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(u.onInsert)) if (!(field in u.set)) onInsert[field] = value;
    const update: Record<string, Record<string, unknown>> = {};
    if (Object.keys(onInsert).length > 0) update.$setOnInsert = onInsert;
    if (Object.keys(u.set).length > 0) update.$set = { ...u.set };
    return { updateOne: { filter: claimFilter(u.key), update, upsert: true } } as AnyBulkWriteOperation<IndicatorDoc>;
  });
}

/**
 * Finds the ids of claims the bulk matched rather than inserted (the bulk result names only the
 * inserted ones): a superset query on the claim index's fields, narrowed by key in code.
 */
export function claimIdsQuery(keys: readonly ClaimKey[]): Filter {
  const uniq = (values: string[]) => [...new Set(values)];
  return {
    source: { $in: uniq(keys.map((k) => k.source)) },
    value: { $in: uniq(keys.map((k) => k.value)) },
    type: { $in: uniq(keys.map((k) => k.type)) },
  };
}

/**
 * The per-claim results, in input order: `created` for the operations the bulk inserted
 * (`upsertedIds` is keyed by operation index), else the id of the claim that already existed.
 */
export function claimResults(
  upserts: readonly ClaimUpsert[],
  upsertedIds: Readonly<Record<number, unknown>>,
  existingIds: ReadonlyMap<string, string>,
): ClaimUpsertResult[] {
  return upserts.map((u, i) => {
    const inserted = upsertedIds[i];
    if (inserted !== undefined) return { id: String(inserted), created: true };
    const id = existingIds.get(claimKeyString(u.key));
    if (id === undefined) throw new Error(`claim ${i} was neither inserted nor found after the bulk write`);
    return { id, created: false };
  });
}

// ---- sequences ----

/** A sequence's counter document: `{_id: 'sequence:<name>', value: <last number given>}`. */
export interface SequenceCounter {
  _id: string;
  value: number;
}

export const sequenceId = (name: string): string => `sequence:${name}`;

/**
 * Reserves `count` numbers: one `findOneAndUpdate` with `$inc` and `upsert`, answered with the
 * document after the update. A single-document update is atomic on the server, so instances
 * that call it at once get disjoint ranges; with retryable writes a retry after a lost reply is
 * not applied twice.
 */
export function sequenceIncrement(count: number): { $inc: { value: number } } {
  return { $inc: { value: count } };
}

/** The first number of the range that ends at `valueAfter`. */
export const firstOfRange = (valueAfter: number, count: number): number => valueAfter - count + 1;

// ---- the event log ----

export const EVENT_LOG_STATE_ID = 'eventLog';

/** `{_id: 'eventLog', latest, trimmedThrough}` in `counters`: the log's highest position and trim point. */
export interface EventLogState {
  _id: string;
  latest: number;
  trimmedThrough?: number;
}

/** An event as stored: the position is `_id`; `expiresAt` drives the TTL index (retention). */
export type StoredEvent = EventDoc & { expiresAt: Date };

export function eventLogIncrement(count: number): { $inc: { latest: number } } {
  return { $inc: { latest: count } };
}

/** The documents of one append: consecutive positions from `first`, each expiring after the retention. */
export function eventDocs(events: readonly NewEvent[], first: number, retentionMs: number): StoredEvent[] {
  return events.map((e, i) => ({ ...e, _id: first + i, expiresAt: new Date(e.occurredAt.getTime() + retentionMs) }));
}

/** Drops the storage-only field. */
export function fromStoredEvent(doc: StoredEvent | EventDoc): EventDoc {
  const { expiresAt: _expiresAt, ...event } = doc as StoredEvent;
  return event;
}

/** `readAfter`: by position on the `_id` index. */
export function readAfterQuery(after: number): { filter: Filter; sort: Array<[string, 1]> } {
  return { filter: { _id: { $gt: after } }, sort: [['_id', 1]] };
}

/** `trimBefore`: the first event to keep, walking the `_id` index from the oldest. */
export function firstKeptQuery(cutoff: Date): { filter: Filter; sort: Array<[string, 1]>; hint: { _id: 1 } } {
  return { filter: { occurredAt: { $gte: cutoff } }, sort: [['_id', 1]], hint: { _id: 1 } };
}

/**
 * The log's bounds from its state document and its oldest remaining position. Events may also
 * leave through the TTL index (a hub that was down missed its trims), so the trim point is at
 * least "everything below the oldest event"; an empty log has trimmed all it ever had. Read the
 * state first, then the oldest: an append landing in between cannot make the answer too high.
 */
export function boundsOf(state: EventLogState | null, oldest: number | null): { latest: number; trimmedThrough: number } {
  const latest = state?.latest ?? 0;
  const recorded = state?.trimmedThrough ?? 0;
  if (oldest === null) return { latest, trimmedThrough: latest };
  return { latest, trimmedThrough: Math.max(recorded, Math.min(oldest - 1, latest)) };
}

// ---- idempotency keys ----

/**
 * How long a reservation may stay unfinished before another request may take it over. A
 * request that loses its connection after reserving cannot always release its key; without
 * this, retries would hear "still being processed" until the key expired (24 h by default).
 * Far longer than any request may run (HUB_EXECUTION_TIMEOUT, 10 s by default).
 */
export const RESERVATION_LEASE_MS = 5 * 60_000;

/**
 * The key's record when it may be (re)claimed: expired, or reserved and abandoned past the
 * lease, both judged on the server's clock (`now` is `$$NOW` in production: see serverNow; the
 * reservation time is the server's `reservedAt`, or `createdAt` for a record written before it
 * existed). Used as the filter of an upsert: no match means the record is live, and the upsert's
 * insert then fails on the `_id` index (the "already claimed" answer).
 */
export function idempotencyClaimFilter(id: string, now: NowExpression, leaseMs = RESERVATION_LEASE_MS): Filter {
  return {
    _id: id,
    $or: [
      { $expr: { $lte: ['$expiresAt', now] } },
      { response: null, $expr: { $lte: [{ $ifNull: ['$reservedAt', '$createdAt'] }, { $subtract: [now, leaseMs] }] } },
    ],
  };
}

/**
 * The reservation as an update pipeline: every field of the record (so a taken-over record is
 * replaced whole), `reservedAt` the server's time and `expiresAt` as far after it as the record's
 * own expiry is after its `createdAt`.
 */
export function idempotencyReservation(record: Omit<IdempotencyRecord, '_id'>, now: NowExpression): Document[] {
  const ttlMs = record.expiresAt.getTime() - record.createdAt.getTime();
  return [
    {
      $set: {
        requestHash: { $literal: record.requestHash },
        response: { $literal: record.response },
        owner: { $literal: record.owner },
        createdAt: { $literal: record.createdAt },
        reservedAt: now,
        expiresAt: { $add: [now, ttlMs] },
      },
    },
  ];
}

/** complete() and release() act on the owner's reservation only. */
export function idempotencyOwnerFilter(id: string, owner: string): Filter {
  return { _id: id, owner };
}

// ---- identity providers ----

/**
 * `put`: replace the registration only when the same member holds the issuer. When another
 * member does, nothing matches and the upsert's insert fails on `_id` (the issuer): refused.
 */
export function identityProviderPutFilter(registration: { issuer: string; memberId: string }): Filter {
  return { _id: registration.issuer, memberId: registration.memberId };
}

// ---- the bus ----

/** "Member X changed", for the other instances; `origin` is the writing process. */
export interface MemberChangeDoc {
  memberId: string;
  origin: string;
  at: Date;
}

/** One instance's saved change-stream position. */
export interface BusCursorDoc {
  _id: string;
  resumeToken: unknown;
  position: number;
  updatedAt: Date;
}

/** Only inserts matter on the event log and the member-change collection. */
export const INSERTS_ONLY = [{ $match: { operationType: 'insert' } }];

/** The member changes another instance wrote since `since` (catch-up after the stream was down). */
export function memberChangesSince(since: Date, origin: string): Filter {
  return { at: { $gte: since }, origin: { $ne: origin } };
}

// ---- errors ----

/** E11000, alone or inside a bulk write's errors. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; writeErrors?: { code?: unknown } | Array<{ code?: unknown }> } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 11000) return true;
  const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
  return writeErrors.some((w) => w.code === 11000);
}
