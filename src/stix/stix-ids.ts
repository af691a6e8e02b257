import { createHash } from 'node:crypto';

/** The hub's UUIDv5 namespace: every id the hub derives from a name lives under it. */
export const HUB_UUID_NAMESPACE = '5d3e94ca-375e-4f49-acd5-e74374793eb4';

/** The name-based UUID of RFC 9562 section 5.5 (SHA-1, version 5). */
export function uuidV5(name: string, namespace: string = HUB_UUID_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new RangeError(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A member's STIX identity id: the same for the same member id, on every hub run. */
export const memberIdentityId = (memberId: string): string => `identity--${uuidV5(`member:${memberId}`)}`;

/** The identity of the hub itself: the creator of the hub's extension-definition. */
export const HUB_IDENTITY_ID = `identity--${uuidV5('hub')}`;

/** The hub's own extension-definition (model-risk notices, and the hub's indicator properties). */
export const HUB_EXTENSION_ID = 'extension-definition--7cdd1d6a-f974-4d04-9e13-f89165bef55f';
