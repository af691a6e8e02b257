import type { ActorRef } from './types.js';

/**
 * A community as stored: a named group of members that a TLP:RED record may name as one
 * recipient (MISP's sharing groups, without the roster leak). Who is in it is known to its
 * administrators only (the owning member's member-admins and hub-admins; see `canAdministerCommunity`
 * in src/policy/policy.ts); a member in it learns the community, never who else is.
 */
export interface CommunityDoc {
  /** `community--<uuid>` */
  _id: string;
  /** 1 to COMMUNITY_NAME_CHARS characters. Not unique: a uniqueness check would tell others' names. */
  name: string;
  /** 0 to COMMUNITY_DESCRIPTION_CHARS characters. */
  description: string;
  /** The member that owns it: its member-admins administer the community. */
  ownerMemberId: string;
  /** The roster: member ids, each once, in the order they joined. */
  members: string[];
  createdAt: Date;
  createdBy: ActorRef;
  /** The last change of the roster (or the creation). */
  updatedAt: Date;
}

/**
 * What a member in a community that does not administer it is handed of it: its id, name and
 * description, never its owner, roster or times (a roster change must change nothing it sees).
 */
export interface CommunityListing {
  _id: string;
  name: string;
  description: string;
}

/** Whether a community handed out is the whole document (its administrators') or a listing. */
export const isCommunityDoc = (c: CommunityDoc | CommunityListing): c is CommunityDoc => 'members' in c;

/** Prefix of community ids: a record's `recipients` tells a community from a member by it. */
export const COMMUNITY_ID_PREFIX = 'community--';

export const isCommunityId = (id: string): boolean => id.startsWith(COMMUNITY_ID_PREFIX);

export const COMMUNITY_NAME_CHARS = 100;
export const COMMUNITY_DESCRIPTION_CHARS = 1_000;
