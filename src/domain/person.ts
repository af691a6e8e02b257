import type { ActorRef, Role } from './types.js';

/**
 * A person's standing. ACTIVE: every credential of theirs works. SUSPENDED and REMOVED: every
 * credential of theirs (hub tokens, linked identities, API keys) is refused from the next request.
 */
export const PERSON_STATUSES = ['ACTIVE', 'SUSPENDED', 'REMOVED'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

/** The roles `addPerson` may give; the others come only through a two-person `requestRoleGrant`. */
export const ADDABLE_ROLES: readonly Role[] = ['reader', 'publisher'];

/**
 * One identity from a member's identity provider: tokens whose `iss` is `issuer` and `sub` is
 * `subject` act as this person. The hub's own tokens are implicit: their `sub` is the person id.
 */
export interface PersonIdentity {
  issuer: string;
  subject: string;
}

/**
 * A person: who acts for a member. The id is the `sub` of the hub's own tokens, and every
 * credential (hub token, linked identity, API key) resolves to one person, whose roles, capped by
 * the member's `allowedRoles`, are the most that credential can do. Unique hub-wide on `_id` and
 * on each identity `(issuer, subject)`.
 */
export interface PersonDoc {
  /** The person id: given by whoever adds the person (PERSON_ID_FORMAT) or `person--<uuid>`. */
  _id: string;
  memberId: string;
  displayName: string;
  /** Trimmed, lower-cased, checked against EMAIL_FORMAT; empty for people seeded without one. */
  email: string;
  /** Granted by the hub, in ROLES order, no duplicates. */
  roles: Role[];
  status: PersonStatus;
  identities: PersonIdentity[];
  createdAt: Date;
  updatedAt: Date;
  /** Who added the person; null for the hub itself (demo seed, fixtures, CLI `init`, just-in-time provisioning). */
  createdBy: ActorRef | null;
  /** Bumped by every write: the compare-and-set token of `PersonRepository.update`. */
  version: number;
}

/**
 * A caller-given person id: 1 to 128 characters, letters, digits and `._@-`, starting with a
 * letter or digit. Never `#` (the `issuer#subject` form is reserved for federated identities),
 * never `:` (`api-key:<id>` was the user of API keys before keys belonged to people).
 */
export const PERSON_ID_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** A pragmatic address check: one `@`, no spaces, a dot in the domain; at most 254 characters. */
export const EMAIL_FORMAT = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const MAX_EMAIL_CHARS = 254;
export const MAX_DISPLAY_NAME_CHARS = 200;
/** Identities one person may hold (the cost analysis counts `Person.identities` by it). */
export const MAX_IDENTITIES_PER_PERSON = 10;

/** A store refused a person write because the id, or one of its identities, is already someone's. */
export class PersonConflictError extends Error {
  override readonly name = 'PersonConflictError';

  constructor(
    /** `id`: another person has this id; `identity`: another person holds one of these identities. */
    readonly what: 'id' | 'identity',
    message: string,
  ) {
    super(message);
  }
}

/** Whether two identities are the same pair. */
export const sameIdentity = (a: PersonIdentity, b: PersonIdentity): boolean => a.issuer === b.issuer && a.subject === b.subject;
