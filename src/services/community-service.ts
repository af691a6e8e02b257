import { randomUUID } from 'node:crypto';
import { COMMUNITY_DESCRIPTION_CHARS, COMMUNITY_ID_PREFIX, COMMUNITY_NAME_CHARS, isCommunityId, type CommunityDoc, type CommunityListing } from '../domain/community.js';
import { badInput, forbidden, hubError, unauthenticated } from '../errors.js';
import {
  assertCanCreateCommunity,
  canAdministerCommunity,
  canNameCommunity,
  canSeeCommunity,
  withCommunities,
  type Viewer,
} from '../policy/policy.js';
import type { CommunityRepository } from '../store/ports.js';
import type { AuditService } from './audit-service.js';
import type { MemberService } from './member-service.js';

/**
 * Communities the hub holds at most (`communities` lists at most this many), and members one
 * community holds at most: together they bound the largest `communities` answer (a hub-admin's,
 * with every roster) within the response budget (docs/limits.md).
 */
export const MAX_COMMUNITIES = 100;
export const MAX_COMMUNITY_MEMBERS = 200;

export interface CommunityServiceDeps {
  communities: CommunityRepository;
  members: MemberService;
  /** Creations and roster changes are audited, in the owning member's log. */
  audit: AuditService;
  /**
   * Told of the member whose communities changed (added or removed), after the change is
   * stored: its live connections re-read their viewer, so what it sees follows at once. Must not throw.
   */
  onMemberChanged?: (memberId: string) => void;
  now?: () => Date;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
}

export interface CommunityInput {
  name: string;
  description: string;
}

/** One message for a community that does not exist and one the viewer may not know of. */
const NO_SUCH_COMMUNITY = 'No community has this id';

/**
 * Communities: named groups of members a TLP:RED record may name as one recipient, expanded to
 * the community's members at read time (`withCommunities`, the policy's `indicatorVisibility`).
 * Who may create, see and change them is the policy's (`canAdministerCommunity`, `canSeeCommunity`,
 * `canNameCommunity`); this service applies it and keeps one rule of its own: to a viewer that
 * neither belongs to a community nor administers it, every answer about it is the answer for an
 * id that does not exist. The operator CLI calls the same methods with its acting viewer.
 */
export class CommunityService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: CommunityServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  /**
   * Creates a community owned by the viewer's member, with that member as its first member.
   * member-admin or hub-admin. BAD_USER_INPUT for a name or description out of bounds, or when
   * the hub holds MAX_COMMUNITIES (checked, then written: two creations racing at the limit may
   * both pass). Names need not be unique: refusing a taken name would tell others' names.
   */
  async create(viewer: Viewer, input: CommunityInput): Promise<CommunityDoc> {
    assertCanCreateCommunity(viewer);
    const name = input.name.trim();
    if (name === '' || name.length > COMMUNITY_NAME_CHARS || /\p{Cc}/u.test(name)) {
      throw badInput(`The name must be 1 to ${COMMUNITY_NAME_CHARS} characters, without control characters`, 'input.name');
    }
    const description = input.description.trim();
    if (description.length > COMMUNITY_DESCRIPTION_CHARS || /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(description)) {
      throw badInput(`The description must be at most ${COMMUNITY_DESCRIPTION_CHARS} characters, without control characters other than newlines and tabs`, 'input.description');
    }
    if ((await this.deps.communities.count()) >= MAX_COMMUNITIES) throw badInput(`The hub holds at most ${MAX_COMMUNITIES} communities`, 'input');
    const now = this.now();
    const doc: CommunityDoc = {
      _id: `${COMMUNITY_ID_PREFIX}${this.uuid()}`,
      name,
      description,
      ownerMemberId: viewer.memberId,
      members: [viewer.memberId],
      createdAt: now,
      createdBy: { memberId: viewer.memberId, userId: viewer.userId },
      updatedAt: now,
    };
    await this.deps.communities.insert(doc);
    await this.deps.audit.communityCreated(viewer, doc);
    this.deps.onMemberChanged?.(viewer.memberId);
    return doc;
  }

  /**
   * Adds a member to a community's roster (nothing changes when it is there). Its administrators
   * only: FORBIDDEN for a member in the community that does not administer it; NOT_FOUND, exactly
   * as for an id that does not exist, for everyone else. BAD_USER_INPUT for an unknown member.
   */
  async addMember(viewer: Viewer, communityId: string, memberId: string): Promise<CommunityDoc> {
    const community = await this.administered(viewer, communityId);
    // Members of the hub only (getMany): a PENDING or withdrawn registration answers as an unknown id.
    if ((await this.deps.members.getMany([memberId])).length === 0) throw badInput('No member has this id', 'memberId');
    if (community.members.includes(memberId)) return community;
    const after = await this.deps.communities.addMember(community._id, memberId, this.now(), MAX_COMMUNITY_MEMBERS);
    if (!after) throw hubError('NOT_FOUND', NO_SUCH_COMMUNITY, 'communityId');
    if (!after.members.includes(memberId)) throw badInput(`A community holds at most ${MAX_COMMUNITY_MEMBERS} members`, 'memberId');
    if (after.members.length !== community.members.length) {
      await this.deps.audit.communityMemberAdded(viewer as Extract<Viewer, { kind: 'member' }>, after, memberId);
      this.deps.onMemberChanged?.(memberId);
    }
    return after;
  }

  /** Takes a member off a community's roster (nothing changes when it is not there). As `addMember`. */
  async removeMember(viewer: Viewer, communityId: string, memberId: string): Promise<CommunityDoc> {
    const community = await this.administered(viewer, communityId);
    const after = await this.deps.communities.removeMember(community._id, memberId, this.now());
    if (!after) throw hubError('NOT_FOUND', NO_SUCH_COMMUNITY, 'communityId');
    if (after.members.length !== community.members.length) {
      await this.deps.audit.communityMemberRemoved(viewer as Extract<Viewer, { kind: 'member' }>, after, memberId);
      this.deps.onMemberChanged?.(memberId);
    }
    return after;
  }

  /**
   * The communities the viewer's member belongs to and, for its administrators, those they
   * administer (a hub-admin: all), by name then id: whole documents for those it administers,
   * listings (id, name, description) for the others, so that no caller (the API, the CLI) can
   * show a roster it should not.
   */
  async list(viewer: Viewer): Promise<Array<CommunityDoc | CommunityListing>> {
    if (viewer.kind === 'anonymous') throw unauthenticated('Communities are for members: send a token');
    const found = viewer.roles.includes('hub-admin')
      ? await this.deps.communities.list(MAX_COMMUNITIES)
      : [
          ...(await this.deps.communities.withMembers([viewer.memberId])),
          ...(viewer.roles.includes('member-admin') ? await this.deps.communities.ownedBy(viewer.memberId) : []),
        ];
    const unique = new Map(found.filter((c) => canSeeCommunity(viewer, c)).map((c) => [c._id, c]));
    return [...unique.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
      .slice(0, MAX_COMMUNITIES)
      .map((c): CommunityDoc | CommunityListing => (canAdministerCommunity(viewer, c) ? c : { _id: c._id, name: c.name, description: c.description }));
  }

  /** The ids of the communities a member belongs to now. */
  async idsOf(memberId: string): Promise<string[]> {
    return (await this.deps.communities.withMembers([memberId])).map((c) => c._id);
  }

  /** The ids of the communities each of these members belongs to now (one read for all). */
  async idsOfMany(memberIds: readonly string[]): Promise<Map<string, string[]>> {
    const byMember = new Map<string, string[]>(memberIds.map((m) => [m, []]));
    if (memberIds.length === 0) return byMember;
    for (const c of await this.deps.communities.withMembers(memberIds)) {
      for (const m of c.members) byMember.get(m)?.push(c._id);
    }
    return byMember;
  }

  /**
   * The viewer with the communities its member belongs to now: what every request is judged
   * with (the composition root wraps the Authenticator with it), so that joining grants and
   * leaving revokes from the next request.
   */
  async withCurrentCommunities(viewer: Viewer): Promise<Viewer> {
    if (viewer.kind === 'anonymous') return viewer;
    return withCommunities(viewer, await this.idsOf(viewer.memberId));
  }

  /**
   * Which of `ids` a member publishing a TLP:RED record may name as recipients: members of the
   * hub, and communities it may name (`canNameCommunity`). Anything else (an unknown id, a
   * community it neither belongs to nor owns) is left out, and the caller refuses it with one
   * message, so that publishing never tells whether a community exists.
   */
  async knownRecipients(memberId: string, ids: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(ids)];
    const communityIds = unique.filter(isCommunityId);
    const memberIds = unique.filter((id) => !isCommunityId(id));
    const [members, communities] = await Promise.all([
      this.deps.members.getMany(memberIds),
      communityIds.length ? this.deps.communities.findByIds(communityIds) : [],
    ]);
    return new Set([...members.map((m) => m._id), ...communities.filter((c) => canNameCommunity(memberId, c)).map((c) => c._id)]);
  }

  /** The community, if the viewer administers it; else FORBIDDEN (a member of it) or NOT_FOUND (anyone else). */
  private async administered(viewer: Viewer, communityId: string): Promise<CommunityDoc> {
    if (viewer.kind === 'anonymous') throw unauthenticated('Changing a community needs a token');
    const [community] = isCommunityId(communityId) ? await this.deps.communities.findByIds([communityId]) : [];
    if (!community || !canSeeCommunity(viewer, community)) throw hubError('NOT_FOUND', NO_SUCH_COMMUNITY, 'communityId');
    if (!canAdministerCommunity(viewer, community)) throw forbidden("Changing a community's members needs the hub-admin role, or member-admin of the member that owns it");
    return community;
  }
}

/** The message every refused recipient gets, whether it names no member, no community, or one the publisher may not name. */
export const unknownRecipientMessage = (id: string) => `recipient "${id}" is not a member of this hub, nor a community your member belongs to or owns`;
