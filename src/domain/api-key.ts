import type { ActorRef, Role } from './types.js';

/**
 * A member's API key as stored: everything but the secret. The key itself
 * (`hubk_<id>_<secret>`, see src/auth/api-keys.ts) is shown once, at creation; the hub keeps only
 * the SHA-256 of its secret, so neither the store nor a dump of it can give a usable key back.
 */
export interface ApiKeyDoc {
  /** The key id: the public part of the key, 16 lowercase hex characters. */
  _id: string;
  memberId: string;
  /** What the member-admin called it ("Sentinel TAXII connector"); shown to that member's admins only. */
  name: string;
  /** What the key may do: a subset of the member's allowed roles, never one of API_KEY_EXCLUDED_ROLES (policy.ts). */
  roles: Role[];
  /** SHA-256 of the secret, lowercase hex. */
  secretHash: string;
  createdBy: ActorRef;
  /**
   * The person the key acts as: its roles, capped by the person's current roles, are what the key
   * can do, and the key stops working when the person is removed or suspended. Absent on keys
   * made before keys belonged to people: those act as `createdBy.userId`.
   */
  personId?: string;
  createdAt: Date;
  /** After this instant the key is refused; null for a key that does not expire. */
  expiresAt: Date | null;
  /** When it was revoked; null while it is live. */
  revokedAt: Date | null;
  revokedBy: ActorRef | null;
  /** The last request it authenticated, recorded at most once a minute (ApiKeyService). */
  lastUsedAt: Date | null;
}
