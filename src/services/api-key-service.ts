import { API_KEY_REFUSALS, ApiKeyRejection, hashSecret, isApiKeyId, mintApiKey, parseApiKey, secretMatches, type ApiKeyCredential } from '../auth/api-keys.js';
import type { ApiKeyDoc } from '../domain/api-key.js';
import { ROLES, type Role } from '../domain/types.js';
import { badInput, hubError } from '../errors.js';
import { API_KEY_DEFAULT_ROLES, apiKeyRolesProblem, assertCanAdministerMember, personMayAct, type Viewer } from '../policy/policy.js';
import type { PersonDoc } from '../domain/person.js';
import { clip } from '../util/clip.js';
import type { ApiKeyRepository } from '../store/ports.js';
import type { AuditService } from './audit-service.js';
import type { MemberService } from './member-service.js';
import { LRUCache } from 'lru-cache';

export interface ApiKeyServiceDeps {
  keys: ApiKeyRepository;
  members: MemberService;
  /** Reads the person a key is for, when it is created. */
  people: { get(id: string): Promise<PersonDoc | null> };
  /** Key creations and revocations are audited (awaited: a key whose creation could not be audited is never shown). */
  audit: AuditService;
  /**
   * Told when a key of the member is revoked, after the revocation is stored: the member's live
   * connections are re-authenticated, and those that used the key close with 4401. Must not throw.
   */
  onMemberChanged?: (memberId: string) => void;
  /** The least time between two `lastUsedAt` writes of one key, ms. Default 60 000 (one minute). */
  lastUsedIntervalMs?: number;
  /** Told when a `lastUsedAt` write fails; the request it would have recorded goes on. Default: ignored. */
  onTouchFailed?: (err: unknown) => void;
  now?: () => Date;
}

/** What a member-admin sends to create a key (GraphQL `CreateApiKeyInput`). */
export interface ApiKeyInput {
  memberId: string;
  name: string;
  /** Role names, as GraphQL sends them. Default API_KEY_DEFAULT_ROLES (reader). */
  roles?: readonly string[] | null;
  /** Default: the key does not expire. */
  expiresAt?: Date | null;
  /** The person of the member the key acts as. Default: the creator, when the creator is a person of that member. */
  personId?: string | null;
}

/** A key just created: `key` is the only time the secret is handed out. */
export interface CreatedApiKey {
  key: string;
  apiKey: ApiKeyDoc;
}

const MAX_NAME_CHARS = 100;
/** Unrevoked, unexpired keys one member may hold at once. */
export const MAX_ACTIVE_API_KEYS = 50;
/** Keys `list` returns, newest first (revoked ones stay listed until newer keys push them out). */
export const MAX_API_KEYS_LISTED = 100;
/** Compared against when the key id is unknown, so that an unknown id costs what a wrong secret costs. */
const NO_SUCH_HASH = hashSecret('no such key');
/** Keys whose last write this process remembers; beyond it the oldest are forgotten (one extra write each at worst). */
const TOUCHED_LIMIT = 10_000;

/**
 * Members' API keys: who may create, list and revoke them (the policy's `assertCanAdministerMember`),
 * what a key may hold (`apiKeyRolesProblem`), and checking a presented key for the Authenticator.
 */
export class ApiKeyService {
  private readonly now: () => Date;
  private readonly lastUsedIntervalMs: number;
  /** Key id → when this process last wrote its lastUsedAt (ms), so bursts of requests write once. */
  private readonly touched = new LRUCache<string, number>({ max: TOUCHED_LIMIT });

  constructor(private readonly deps: ApiKeyServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.lastUsedIntervalMs = deps.lastUsedIntervalMs ?? 60_000;
  }

  /**
   * Creates a key for a member. Throws UNAUTHENTICATED/FORBIDDEN unless the viewer may administer
   * the member, BAD_USER_INPUT (with the field) for an unknown member, a bad name, refused roles
   * or an expiry that is not in the future.
   */
  async create(viewer: Viewer, input: ApiKeyInput): Promise<CreatedApiKey> {
    assertCanAdministerMember(viewer, input.memberId);
    const member = await this.deps.members.get(input.memberId);
    if (!member) throw badInput('No member has this id', 'memberId');
    if (member.status === 'OFFBOARDED') throw hubError('INVALID_TRANSITION', 'The member was offboarded: it holds no new keys', 'memberId');
    const name = input.name.trim();
    if (name === '' || name.length > MAX_NAME_CHARS || /\p{Cc}/u.test(name)) {
      throw badInput(`The name must be 1 to ${MAX_NAME_CHARS} characters, without control characters`, 'name');
    }
    const asked = [...new Set(input.roles ?? API_KEY_DEFAULT_ROLES)];
    const unknown = asked.filter((r) => !ROLES.includes(r as Role));
    if (unknown.length) throw badInput(`Not a hub role: ${unknown.map((r) => JSON.stringify(r.slice(0, 40))).join(', ')} (roles are ${ROLES.join(', ')})`, 'roles');
    const roles = asked as Role[];
    const problem = apiKeyRolesProblem(roles, member.allowedRoles);
    if (problem) throw badInput(problem, 'roles');
    const now = this.now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw badInput('The expiry must be in the future', 'expiresAt');

    const active = (await this.deps.keys.listByMember(member._id)).filter((k) => !k.revokedAt && (!k.expiresAt || k.expiresAt.getTime() > now.getTime()));
    if (active.length >= MAX_ACTIVE_API_KEYS) throw badInput(`A member holds at most ${MAX_ACTIVE_API_KEYS} active API keys: revoke one first`, 'memberId');

    // The key acts as a person of its member: the creator, or (for a hub-admin of another member) the one named.
    const personId = input.personId ?? (viewer.memberId === member._id ? viewer.userId : null);
    if (personId === null) throw badInput(`Name the person of member ${clip(member._id)} the key acts as`, 'personId');
    if (!personMayAct(await this.deps.people.get(personId), member._id)) throw badInput(`No active person "${clip(personId)}" of member ${clip(member._id)}`, 'personId');

    const minted = mintApiKey();
    const doc: ApiKeyDoc = {
      _id: minted.id,
      memberId: member._id,
      name,
      roles,
      secretHash: minted.secretHash,
      createdBy: { memberId: viewer.memberId, userId: viewer.userId },
      personId,
      createdAt: now,
      expiresAt,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    };
    await this.deps.keys.insert(doc);
    await this.deps.audit.apiKeyCreated(viewer, doc);
    return { key: minted.key, apiKey: doc };
  }

  /** A member's keys, revoked ones too, newest first. Same permission as `create`. */
  async list(viewer: Viewer, memberId: string): Promise<ApiKeyDoc[]> {
    assertCanAdministerMember(viewer, memberId);
    return (await this.deps.keys.listByMember(memberId)).slice(0, MAX_API_KEYS_LISTED);
  }

  /**
   * Revokes a key: it is refused from the next request on, on every instance, and the sockets it
   * opened close with 4401. Revoking a revoked key returns it unchanged. NOT_FOUND for no such key
   * (to a viewer who administers some member; others get FORBIDDEN as for any key).
   */
  async revoke(viewer: Viewer, id: string): Promise<ApiKeyDoc> {
    const found = isApiKeyId(id) ? await this.deps.keys.get(id) : null;
    // Without a key there is no member to ask about: ask about the viewer's own, so that only
    // someone who administers keys at all learns that this id does not exist.
    assertCanAdministerMember(viewer, found?.memberId ?? (viewer.kind === 'member' ? viewer.memberId : ''));
    if (!found) throw hubError('NOT_FOUND', 'No API key has this id', 'id');

    const revoked = await this.deps.keys.revoke(id, this.now(), { memberId: viewer.memberId, userId: viewer.userId });
    if (!revoked) return (await this.deps.keys.get(id)) ?? found; // already revoked: nothing changes
    this.touched.delete(id);
    this.deps.onMemberChanged?.(revoked.memberId);
    await this.deps.audit.apiKeyRevoked(viewer, revoked);
    return revoked;
  }

  /**
   * Revokes every live key of a member (offboarding; a registration made again), each audited as
   * `revoke` does. Returns the keys it revoked. Same permission as `revoke`.
   */
  async revokeAllOf(viewer: Viewer, memberId: string): Promise<ApiKeyDoc[]> {
    assertCanAdministerMember(viewer, memberId);
    const revoked: ApiKeyDoc[] = [];
    for (const key of await this.deps.keys.listByMember(memberId)) {
      if (key.revokedAt) continue;
      const doc = await this.deps.keys.revoke(key._id, this.now(), { memberId: viewer.memberId, userId: viewer.userId });
      if (!doc) continue; // revoked meanwhile
      this.touched.delete(key._id);
      await this.deps.audit.apiKeyRevoked(viewer, doc);
      revoked.push(doc);
    }
    if (revoked.length) this.deps.onMemberChanged?.(memberId);
    return revoked;
  }

  /**
   * Checks a presented key (for the Authenticator; no viewer yet). The key is read from the store
   * every time, so a revocation or expiry applies from the next request; the member's existence,
   * suspension and allowed roles are the Authenticator's to check. Throws ApiKeyRejection.
   * Records `lastUsedAt` at most once per `lastUsedIntervalMs` per key.
   */
  async verify(key: string): Promise<ApiKeyCredential> {
    const parsed = parseApiKey(key);
    if (!parsed) throw new ApiKeyRejection(API_KEY_REFUSALS.malformed);
    const doc = await this.deps.keys.get(parsed.id);
    const matches = secretMatches(parsed.secret, doc?.secretHash ?? NO_SUCH_HASH);
    if (!doc || !matches) throw new ApiKeyRejection(API_KEY_REFUSALS.unknown, parsed.id, doc?.memberId);
    if (doc.revokedAt) throw new ApiKeyRejection(API_KEY_REFUSALS.revoked, doc._id, doc.memberId);
    const now = this.now();
    if (doc.expiresAt && doc.expiresAt.getTime() <= now.getTime()) throw new ApiKeyRejection(API_KEY_REFUSALS.expired, doc._id, doc.memberId);
    await this.recordUse(doc, now);
    return { keyId: doc._id, memberId: doc.memberId, personId: doc.personId ?? doc.createdBy.userId, roles: [...doc.roles], expiresAt: doc.expiresAt };
  }

  /** Writes lastUsedAt when neither the stored value nor this process's last write is recent. */
  private async recordUse(doc: ApiKeyDoc, now: Date): Promise<void> {
    const last = Math.max(doc.lastUsedAt?.getTime() ?? 0, this.touched.get(doc._id) ?? 0);
    if (now.getTime() - last < this.lastUsedIntervalMs) return;
    this.touched.set(doc._id, now.getTime());
    try {
      await this.deps.keys.touch(doc._id, now);
    } catch (err) {
      this.deps.onTouchFailed?.(err);
    }
  }
}
