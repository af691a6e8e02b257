/**
 * A MongoDB query document: the store's vocabulary for "which records". The policy module builds
 * visibility as these, `store/queries.ts` builds the rest, and every adapter runs them (the MongoDB
 * driver, or mingo and the compiled matcher in memory).
 */
export type Filter = Record<string, unknown>;
