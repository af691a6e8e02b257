import { uuidV5 } from '../stix/stix-ids.js';

const DAY_MS = 86_400_000;

/** The UTC day (days since 1970-01-01) of an instant: the event an indicator belongs to. */
export const dayOf = (instant: Date): number => Math.floor(instant.getTime() / DAY_MS);

/** The first instant of a UTC day. */
export const startOfDay = (day: number): Date => new Date(day * DAY_MS);

/** `2026-11-26` for a day number. */
export const isoDate = (day: number): string => startOfDay(day).toISOString().slice(0, 10);

/** The MISP organisation standing for a hub: the same uuid for the same public address (`HUB_PUBLIC_URL`). */
export const hubOrgUuid = (namespace: string): string => uuidV5(`misp-org|${namespace}`);

/**
 * The uuid of a member's MISP event for one day. Derived, never stored: a UUIDv5 of the hub, the
 * member and the day, whose first 32 bits are replaced by the day number, so that the feed finds
 * an event's day from its uuid alone (and `eventDayOf` checks the rest). Per member: two members'
 * feeds hold different attributes for the same day, and MISP instances that synchronise with
 * each other must not see one uuid for two events. The version nibble stays 5, so the uuid passes
 * MISP's (CakePHP's) uuid validation.
 */
export function mispEventUuid(hubOrg: string, memberId: string, day: number): string {
  const hashed = uuidV5(`misp-event|${hubOrg}|${memberId}|${day}`);
  return `${day.toString(16).padStart(8, '0')}${hashed.slice(8)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The day of a member's event uuid; null when the uuid is not one of that member's events. */
export function eventDayOf(hubOrg: string, memberId: string, uuid: string): number | null {
  const lower = uuid.toLowerCase();
  if (!UUID.test(lower)) return null;
  const day = parseInt(lower.slice(0, 8), 16);
  return mispEventUuid(hubOrg, memberId, day) === lower ? day : null;
}

/** An indicator's attribute uuid in a member's feed: stable across fetches, distinct per member (as event uuids). */
export const mispAttributeUuid = (hubOrg: string, memberId: string, indicatorId: string): string => uuidV5(`misp-attribute|${hubOrg}|${memberId}|${indicatorId}`);
