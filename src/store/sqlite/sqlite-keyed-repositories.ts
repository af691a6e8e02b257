/**
 * The SQLite store's small repositories: one key each, read by key. Every compare-and-set runs in
 * one immediate transaction, so it is atomic across the processes sharing the file as well as
 * within this one (better-sqlite3 runs each call to completion, without awaiting).
 */
import type Database from 'better-sqlite3';
import type { ApiKeyDoc } from '../../domain/api-key.js';
import type { IdentityProviderRegistration, Member } from '../../domain/types.js';
import type {
  ApiKeyRepository,
  IdempotencyRecord,
  IdempotencyRepository,
  IdentityProviderRepository,
  LeaseRepository,
  MemberGuard,
  MemberRepository,
  MemberUpdate,
  RateBucket,
  RateDecision,
  RateLimitRepository,
  SequenceRepository,
} from '../ports.js';
import { memberMatches } from '../queries.js';
import { decodeDoc, encodeDoc } from './sqlite-codec.js';
import type { StatementCache } from './statement-cache.js';
import { withoutFsync } from './without-fsync.js';

type Db = Database.Database;

export class SqliteMembers implements MemberRepository {
  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
  ) {}

  async findByIds(ids: readonly string[]): Promise<Member[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const rows = this.s.get(`SELECT doc FROM members WHERE _id IN (${unique.map(() => '?').join(',')})`).pluck().all(...unique) as string[];
    const byId = new Map(rows.map((text) => decodeDoc<Member>(text)).map((m) => [m._id, m]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async list(): Promise<Member[]> {
    return (this.s.get('SELECT doc FROM members ORDER BY _id').pluck().all() as string[]).map((text) => decodeDoc<Member>(text));
  }

  async put(member: Member): Promise<void> {
    this.s.get('INSERT INTO members (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO UPDATE SET doc = excluded.doc').run(member._id, encodeDoc(member));
  }

  async insert(member: Member): Promise<boolean> {
    return this.s.get('INSERT INTO members (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO NOTHING').run(member._id, encodeDoc(member)).changes === 1;
  }

  /** Check and write in one immediate transaction: atomic across processes. */
  async update(id: string, expected: MemberGuard, set: MemberUpdate): Promise<Member | null> {
    return this.db
      .transaction(() => {
        const text = this.s.get('SELECT doc FROM members WHERE _id = ?').pluck().get(id) as string | undefined;
        if (text === undefined) return null;
        const current = decodeDoc<Member>(text);
        if (!memberMatches(current, expected)) return null;
        const { suspended: _legacy, ...rest } = current;
        const after = { ...(set.status ? rest : current), ...set } as Member;
        this.s.get('UPDATE members SET doc = ? WHERE _id = ?').run(encodeDoc(after), id);
        return after;
      })
      .immediate();
  }
}

export class SqliteIdempotency implements IdempotencyRepository {
  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
    private readonly leaseMs: number,
  ) {}

  /**
   * Claims the key unless a live record holds it. A record may be taken when it expired, or when
   * its request never finished within the lease (a process killed mid-request), as on MongoDB.
   */
  async reserve(record: IdempotencyRecord): Promise<IdempotencyRecord | null> {
    return this.db
      .transaction(() => {
        const text = this.s.get('SELECT doc FROM idempotency WHERE _id = ?').pluck().get(record._id) as string | undefined;
        if (text !== undefined) {
          const existing = decodeDoc<IdempotencyRecord>(text);
          const now = Date.now();
          const expired = existing.expiresAt.getTime() <= now;
          const abandoned = existing.response === null && existing.createdAt.getTime() <= now - this.leaseMs;
          if (!expired && !abandoned) return existing;
        }
        this.s.get('INSERT INTO idempotency (_id, doc) VALUES (?, ?) ON CONFLICT (_id) DO UPDATE SET doc = excluded.doc').run(record._id, encodeDoc(record));
        return null;
      })
      .immediate();
  }

  /** Records the answer if `owner` still holds the reservation (read and write in one transaction). */
  async complete(id: string, owner: string, response: unknown): Promise<void> {
    this.db
      .transaction(() => {
        const text = this.s.get('SELECT doc FROM idempotency WHERE _id = ?').pluck().get(id) as string | undefined;
        if (text === undefined) return;
        const record = decodeDoc<IdempotencyRecord>(text);
        if (record.owner !== owner) return;
        this.s.get('UPDATE idempotency SET doc = ? WHERE _id = ?').run(encodeDoc({ ...record, response }), id);
      })
      .immediate();
  }

  async release(id: string, owner: string): Promise<void> {
    // The owner is inside the document: compare it with SQLite's JSON functions, in the one statement.
    this.s.get("DELETE FROM idempotency WHERE _id = ? AND json_extract(doc, '$.owner') = ?").run(id, owner);
  }

  /** Forgets expired records (run at start and now and then). */
  sweep(now = Date.now()): number {
    // Expiry is inside the document: read it with SQLite's JSON functions.
    return this.s.get("DELETE FROM idempotency WHERE json_extract(doc, '$.expiresAt.\"$date\"') <= ?").run(now).changes;
  }
}

/** Sequences: one atomic `UPDATE ... RETURNING` per reservation, so ranges never overlap. */
export class SqliteSequences implements SequenceRepository {
  constructor(private readonly s: StatementCache) {}

  async next(name: string, count = 1): Promise<number> {
    const value = this.s
      .get('INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value RETURNING value')
      .pluck()
      .get(name, count) as number;
    return value - count + 1;
  }
}

export class SqliteIdentityProviders implements IdentityProviderRepository {
  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
  ) {}

  async findByIssuer(issuer: string): Promise<IdentityProviderRegistration | null> {
    const text = this.s.get('SELECT doc FROM identity_providers WHERE issuer = ?').pluck().get(issuer) as string | undefined;
    return text === undefined ? null : decodeDoc<IdentityProviderRegistration>(text);
  }

  async listByMember(memberId: string): Promise<IdentityProviderRegistration[]> {
    const rows = this.s.get('SELECT doc FROM identity_providers WHERE memberId = ? ORDER BY issuer').pluck().all(memberId) as string[];
    return rows.map((text) => decodeDoc<IdentityProviderRegistration>(text));
  }

  async put(registration: IdentityProviderRegistration): Promise<boolean> {
    return this.db
      .transaction(() => {
        const holder = this.s.get('SELECT memberId FROM identity_providers WHERE issuer = ?').pluck().get(registration.issuer) as string | undefined;
        if (holder !== undefined && holder !== registration.memberId) return false;
        this.s
          .get('INSERT INTO identity_providers (issuer, memberId, doc) VALUES (?, ?, ?) ON CONFLICT (issuer) DO UPDATE SET doc = excluded.doc')
          .run(registration.issuer, registration.memberId, encodeDoc(registration));
        return true;
      })
      .immediate();
  }

  async remove(memberId: string, issuer: string): Promise<boolean> {
    return this.s.get('DELETE FROM identity_providers WHERE issuer = ? AND memberId = ?').run(issuer, memberId).changes === 1;
  }
}

export class SqliteApiKeys implements ApiKeyRepository {
  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
  ) {}

  async insert(doc: ApiKeyDoc): Promise<void> {
    this.s.get('INSERT INTO api_keys (_id, memberId, createdAt, doc) VALUES (?, ?, ?, ?)').run(doc._id, doc.memberId, doc.createdAt.getTime(), encodeDoc(doc));
  }

  async get(id: string): Promise<ApiKeyDoc | null> {
    const text = this.s.get('SELECT doc FROM api_keys WHERE _id = ?').pluck().get(id) as string | undefined;
    return text === undefined ? null : decodeDoc<ApiKeyDoc>(text);
  }

  async listByMember(memberId: string): Promise<ApiKeyDoc[]> {
    const rows = this.s.get('SELECT doc FROM api_keys WHERE memberId = ? ORDER BY createdAt DESC, _id DESC').pluck().all(memberId) as string[];
    return rows.map((text) => decodeDoc<ApiKeyDoc>(text));
  }

  async revoke(id: string, at: Date, by: ApiKeyDoc['revokedBy']): Promise<ApiKeyDoc | null> {
    return this.change(id, (current) => (current.revokedAt !== null ? null : { ...current, revokedAt: at, revokedBy: by }));
  }

  async touch(id: string, at: Date): Promise<void> {
    this.change(id, (current) => (current.lastUsedAt && current.lastUsedAt >= at ? null : { ...current, lastUsedAt: at }));
  }

  /** Reads, decides and writes in one immediate transaction; `next` null writes nothing. */
  private change(id: string, next: (current: ApiKeyDoc) => ApiKeyDoc | null): ApiKeyDoc | null {
    return this.db
      .transaction(() => {
        const text = this.s.get('SELECT doc FROM api_keys WHERE _id = ?').pluck().get(id) as string | undefined;
        if (text === undefined) return null;
        const updated = next(decodeDoc<ApiKeyDoc>(text));
        if (updated) this.s.get('UPDATE api_keys SET doc = ? WHERE _id = ?').run(encodeDoc(updated), id);
        return updated;
      })
      .immediate();
  }
}

/** Token buckets as rows; `fullAt` says when a bucket is full again, so full ones can be forgotten. */
export class SqliteRateLimits implements RateLimitRepository {
  private takes = 0;

  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
  ) {}

  async take(key: string, now: Date, { capacity, refillPerMs }: RateBucket): Promise<RateDecision> {
    const at = now.getTime();
    const take = this.db.transaction((): RateDecision => {
      // A forgotten bucket is full, so forgetting those that refilled completely changes nothing.
      if (++this.takes % 1_000 === 0) this.s.get('DELETE FROM rate_limits WHERE fullAt <= ?').run(at);
      const row = this.s.get('SELECT tokens, at FROM rate_limits WHERE key = ?').pluck(false).get(key) as { tokens: number; at: number } | undefined;
      const last = row?.at ?? at;
      let tokens = Math.min(capacity, (row?.tokens ?? capacity) + Math.max(0, at - last) * refillPerMs);
      const stamp = Math.max(last, at);
      const ok = tokens >= 1;
      if (ok) tokens -= 1;
      const fullAt = Math.ceil(stamp + (capacity - tokens) / refillPerMs);
      this.s
        .get('INSERT INTO rate_limits (key, tokens, at, fullAt) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at, fullAt = excluded.fullAt')
        .run(key, tokens, stamp, fullAt);
      return ok ? { ok: true } : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
    });
    // Every request takes from a bucket: its commit does not wait for an fsync (withoutFsync).
    return withoutFsync(this.db, () => take.immediate());
  }
}

export class SqliteLeases implements LeaseRepository {
  constructor(
    private readonly db: Db,
    private readonly s: StatementCache,
  ) {}

  async acquire(name: string, holder: string, ttlMs: number, now = new Date()): Promise<boolean> {
    return this.db
      .transaction(() => {
        const held = this.s.get('SELECT holder, expiresAt FROM leases WHERE name = ?').pluck(false).get(name) as { holder: string; expiresAt: number } | undefined;
        if (held && held.holder !== holder && held.expiresAt >= now.getTime()) return false;
        this.s
          .get('INSERT INTO leases (name, holder, expiresAt) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expiresAt = excluded.expiresAt')
          .run(name, holder, now.getTime() + ttlMs);
        return true;
      })
      .immediate();
  }
}
