import { isCommunityDoc, type CommunityDoc, type CommunityListing } from '../domain/community.js';
import { actAs, AS_OPTION } from './cli-session.js';
import { STORE_ENV, str, type Command } from './command.js';

/** A community as the CLI prints it: owner and roster only when the service handed them (administrators only). */
const row = (c: CommunityDoc | CommunityListing) =>
  isCommunityDoc(c) ? { id: c._id, name: c.name, description: c.description, ownerMemberId: c.ownerMemberId, members: c.members } : { id: c._id, name: c.name, description: c.description };

export const communityAddCommand: Command = {
  path: ['community', 'add'],
  summary: "Create a community (a sharing group) owned by your member, with your member in it; prints its id.",
  details: 'member-admin or hub-admin. A TLP:RED record may name the community as a recipient: it reaches its current members.',
  options: {
    as: AS_OPTION,
    name: { type: 'string', value: '<text>', description: 'its name', required: true },
    description: { type: 'string', value: '<text>', description: 'what it is for (default: empty)' },
  },
  env: STORE_ENV,
  async run({ values, env }) {
    const community = await actAs(env, str(values, 'as')!, (viewer, { services }) =>
      services.communities.create(viewer, { name: str(values, 'name')!, description: str(values, 'description') ?? '' }),
    );
    return { text: community._id, json: row(community) };
  },
};

export const communityListCommand: Command = {
  path: ['community', 'list'],
  summary: 'List the communities you may see (rosters only of those you administer).',
  options: { as: AS_OPTION },
  env: STORE_ENV,
  async run({ values, env }) {
    const rows = (await actAs(env, str(values, 'as')!, (viewer, { services }) => services.communities.list(viewer))).map(row);
    return { text: rows.map((c) => `${c.id}  ${c.name}  (${c.members ? c.members.join(', ') : 'roster not shown'})`).join('\n'), json: rows };
  },
};

export const communityAddMemberCommand: Command = {
  path: ['community', 'add-member'],
  summary: 'Add a member to a community you administer.',
  options: {
    as: AS_OPTION,
    community: { type: 'string', value: '<id>', description: 'the community (community--...)', required: true },
    member: { type: 'string', value: '<id>', description: 'the member to add', required: true },
  },
  env: STORE_ENV,
  async run({ values, env }) {
    const community = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.communities.addMember(viewer, str(values, 'community')!, str(values, 'member')!));
    return { text: `${community._id}  ${community.members.join(', ')}`, json: row(community) };
  },
};

export const communityRemoveMemberCommand: Command = {
  path: ['community', 'remove-member'],
  summary: 'Remove a member from a community you administer: records shared with the community stop reaching it.',
  options: {
    as: AS_OPTION,
    community: { type: 'string', value: '<id>', description: 'the community (community--...)', required: true },
    member: { type: 'string', value: '<id>', description: 'the member to remove', required: true },
  },
  env: STORE_ENV,
  async run({ values, env }) {
    const community = await actAs(env, str(values, 'as')!, (viewer, { services }) => services.communities.removeMember(viewer, str(values, 'community')!, str(values, 'member')!));
    return { text: `${community._id}  ${community.members.join(', ')}`, json: row(community) };
  },
};
