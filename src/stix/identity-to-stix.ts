import type { Member } from '../domain/types.js';
import { memberIdentityId } from './stix-ids.js';
import { compact, STIX_SPEC_VERSION, stixTimestamp, type StixObject } from './stix-object.js';
import { tlpMarkingId } from './tlp-markings.js';

/**
 * A member as a STIX identity. Serve it only where the viewer may see the member as a source
 * (`StixGates` gate `identity`): it names the organisation. Marked TLP:AMBER, as the names of
 * sources are shared with TRUSTED members and above.
 */
export function memberToStix(member: Member): StixObject {
  const at = stixTimestamp(member.createdAt);
  return compact({
    type: 'identity',
    spec_version: STIX_SPEC_VERSION,
    id: memberIdentityId(member._id),
    created: at,
    modified: at,
    name: member.name,
    identity_class: 'organization',
    roles: [member.kind.toLowerCase()],
    sectors: member.sector ? [member.sector.toLowerCase()] : undefined,
    object_marking_refs: [tlpMarkingId('AMBER')],
  });
}
