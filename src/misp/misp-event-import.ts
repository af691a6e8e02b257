import { createHash } from 'node:crypto';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { tryNormalizeIndicator } from '../domain/normalize.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import type { ApprovalRequestDoc, IndicatorDoc, IndicatorInput, IndicatorType, Severity, Tlp } from '../domain/types.js';
import { badInput } from '../errors.js';
import { assertRole, type Viewer } from '../policy/policy.js';
import type { IndicatorService, ItemError } from '../services/indicator-service.js';
import { clip } from '../util/clip.js';
import {
  confidenceOfHubTag,
  DISTRIBUTION,
  HUB_TAG_NAMESPACE,
  IMPORT_KINDS,
  SEVERITY_OF_THREAT_LEVEL,
  severityOfHubTag,
  stricterTlp,
  TLP_OF_TAG,
} from './misp-vocabulary.js';

/** Attributes one import takes at most: a publish batch (and about what a 1 MB request holds). */
export const MAX_MISP_ATTRIBUTES = 5_000;

/** The confidence of an attribute that carries no `hub:confidence` tag: MISP has no confidence field. */
export const DEFAULT_MISP_CONFIDENCE = 50;

export type MispAttributeStatus = 'CREATED' | 'UPDATED' | 'REJECTED' | 'SKIPPED' | 'HELD';

export interface MispAttributeResult {
  index: number;
  uuid: string | null;
  type: string | null;
  status: MispAttributeStatus;
  indicator: IndicatorDoc | null;
  error: ItemError | null;
  /** HELD (HUB_WARNINGLIST_POLICY=hold): the PUBLISH_WARNED_INDICATOR request, as publishIndicators answers it. */
  approvalRequestId?: string;
  approvalRequest?: ApprovalRequestDoc;
}

export interface MispImportResult {
  eventUuid: string;
  results: MispAttributeResult[];
  created: number;
  updated: number;
  rejected: number;
  skipped: number;
  /** Attributes held for a second person's approval (HUB_WARNINGLIST_POLICY=hold). */
  held: number;
  replayed: boolean;
}

/** One attribute after mapping: an indicator to publish, or why not. */
export type MappedAttribute = Omit<MispAttributeResult, 'status' | 'indicator' | 'error'> &
  ({ input: IndicatorInput; outcome?: undefined } | { input?: undefined; outcome: { status: 'REJECTED' | 'SKIPPED'; error: ItemError } });

export interface MappedEvent {
  uuid: string;
  attributes: MappedAttribute[];
}

type Json = Record<string, unknown>;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** MISP writes booleans as JSON booleans, older exports as "1"/"0" or 1/0. */
function flag(value: unknown): boolean | undefined {
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return undefined;
}

/** A `distribution` as a number, undefined when absent; NaN when it is not one of MISP's. */
function distributionOf(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 5 ? n : NaN;
}

/** The tag names of a `Tag` list (objects with a `name`, as MISP writes them). */
function tagNames(tags: unknown): string[] {
  if (!Array.isArray(tags)) return [];
  return tags.flatMap((t) => (isObject(t) && typeof t.name === 'string' ? [t.name.trim()] : []));
}

/** The strictest TLP among `tlp:` tags; null when none. Unknown `tlp:` values (`tlp:ex:chr`) say nothing of the audience. */
function tlpOfTags(names: readonly string[]): Tlp | null {
  let tlp: Tlp | null = null;
  for (const name of names) {
    const t = TLP_OF_TAG[name.toLowerCase()];
    if (t) tlp = tlp ? stricterTlp(tlp, t) : t;
  }
  return tlp;
}

/**
 * The narrowest TLP a MISP distribution allows: "this community" (1) and "connected communities"
 * (2) are communities, never the public: at least GREEN. "All communities" (3), or none given (a
 * feed's events carry none: the feed's own setting applies), leave the TLP tags to decide.
 */
function tlpFloor(distribution: number | undefined): Tlp {
  return distribution === DISTRIBUTION.community || distribution === DISTRIBUTION.connected ? 'GREEN' : 'CLEAR';
}

const skipped = (code: string, message: string, field: string | null = null) => ({ status: 'SKIPPED' as const, error: { code, message, field } });
const rejected = (code: string, message: string, field: string | null = null) => ({ status: 'REJECTED' as const, error: { code, message, field } });

/**
 * A MISP event (core format, misp-rfc) as indicator inputs: pure, no store. Refuses, with
 * BAD_USER_INPUT naming the field, what cannot be imported at all: not an event, no uuid, a
 * distribution of "your organisation only" (0) or a sharing group (4), too many attributes.
 */
export function mapMispEvent(given: unknown): MappedEvent {
  if (!isObject(given)) throw badInput('event must be a MISP event: a JSON object, {"Event": {...}} or the event itself', 'event');
  const wrapped = isObject(given.Event);
  const event = wrapped ? (given.Event as Json) : given;
  const at = (field: string) => (wrapped ? `event.Event.${field}` : `event.${field}`);

  if (typeof event.uuid !== 'string' || !UUID.test(event.uuid)) throw badInput('the event needs its uuid (a UUID string)', at('uuid'));
  const distribution = distributionOf(event.distribution);
  if (Number.isNaN(distribution) || distribution === DISTRIBUTION.inherit) throw badInput('distribution must be 0, 1, 2, 3 or 4', at('distribution'));
  if (distribution === DISTRIBUTION.organisation) {
    throw badInput('the event\'s distribution is 0, "your organisation only": it may not leave its organisation, so the hub does not take it', at('distribution'));
  }
  if (distribution === DISTRIBUTION.sharingGroup) {
    throw badInput('the event\'s distribution is 4, a sharing group: its MISP organisations are not hub members the hub could limit it to; share it with distribution 1, 2 or 3 and a TLP tag', at('distribution'));
  }
  const threatLevel = event.threat_level_id === undefined ? undefined : String(event.threat_level_id);
  if (threatLevel !== undefined && !SEVERITY_OF_THREAT_LEVEL[threatLevel]) throw badInput('threat_level_id must be 1, 2, 3 or 4', at('threat_level_id'));
  for (const list of ['Attribute', 'Object'] as const) {
    if (event[list] !== undefined && !Array.isArray(event[list])) throw badInput(`${list} must be a list`, at(list));
  }

  const raw: Array<{ attribute: unknown; field: string }> = [];
  (event.Attribute as unknown[] | undefined)?.forEach((attribute, i) => raw.push({ attribute, field: at(`Attribute[${i}]`) }));
  (event.Object as unknown[] | undefined)?.forEach((object, o) => {
    if (isObject(object) && Array.isArray(object.Attribute)) object.Attribute.forEach((attribute, i) => raw.push({ attribute, field: at(`Object[${o}].Attribute[${i}]`) }));
  });
  if (raw.length > MAX_MISP_ATTRIBUTES) throw badInput(`an import takes at most ${MAX_MISP_ATTRIBUTES} attributes (the event has ${raw.length}): split the event`, at('Attribute'));

  const eventTags = tagNames(event.Tag);
  const eventTlp = tlpOfTags(eventTags);
  const eventSeverity = eventTags.map(severityOfHubTag).find((s) => s !== null) ?? SEVERITY_OF_THREAT_LEVEL[threatLevel ?? '4']!;
  const seen = new Map<string, string>();
  const attributes = raw.map(({ attribute, field }, index): MappedAttribute => {
    const a = isObject(attribute) ? attribute : {};
    const base = { index, uuid: typeof a.uuid === 'string' ? clip(a.uuid, 64) : null, type: typeof a.type === 'string' ? clip(a.type, 64) : null };
    const outcome = (o: Exclude<MappedAttribute['outcome'], undefined>): MappedAttribute => ({ ...base, outcome: o });
    if (!isObject(attribute)) return outcome(skipped('INVALID_VALUE', `${field} is not an attribute object`));
    if (flag(a.deleted)) return outcome(skipped('DELETED', 'the attribute is deleted in MISP'));
    const kind = base.type ? IMPORT_KINDS[base.type] : undefined;
    if (!kind) return outcome(skipped('UNSUPPORTED_TYPE', `MISP type ${JSON.stringify(base.type)} is not one the hub has indicators for`, 'type'));
    const own = distributionOf(a.distribution);
    if (Number.isNaN(own)) return outcome(rejected('INVALID_VALUE', 'distribution must be 0 to 5', 'distribution'));
    if (own === DISTRIBUTION.organisation) return outcome(skipped('ORGANISATION_ONLY', 'the attribute\'s distribution is 0, "your organisation only"', 'distribution'));
    if (own === DISTRIBUTION.sharingGroup) return outcome(skipped('SHARING_GROUP', 'the attribute\'s distribution is a sharing group, which the hub cannot hold it to', 'distribution'));
    if (flag(a.to_ids) === false) return outcome(skipped('NOT_FOR_DETECTION', 'to_ids is false: MISP marks the value as context, not for detection (the hub\'s indicators are)', 'to_ids'));
    if (typeof a.value !== 'string' || a.value.trim() === '') return outcome(rejected('INVALID_VALUE', 'the attribute has no value', 'value'));

    const value = kind.part ? partOf(a.value, kind.part) : a.value;
    const inferred = tryNormalizeIndicator(value);
    if (inferred && !kind.types.includes(inferred.type)) {
      return outcome(rejected('TYPE_MISMATCH', `MISP type ${base.type} holds ${kind.types.join(' or ')}, and this value is ${inferred.type}`, 'value'));
    }
    const type: IndicatorType = inferred?.type ?? kind.types[0]!;
    const key = `${type}\u0000${inferred?.value ?? value}`;
    const twin = seen.get(key);
    if (twin !== undefined) return outcome(skipped('DUPLICATE', `the same ${type} as attribute ${twin} of this event`, 'value'));
    seen.set(key, base.uuid ?? String(index));

    const names = tagNames(a.Tag);
    const effective = own === undefined || own === DISTRIBUTION.inherit ? distribution : own;
    // The attribute's own TLP tag is the more specific marking; else the event's (a hub's feed
    // tags each attribute with its TLP and the event with the strictest of the day).
    const tagged = tlpOfTags(names) ?? eventTlp;
    const tlp = stricterTlp(tagged ?? 'GREEN', tlpFloor(effective));
    if (tlp === 'RED') {
      return outcome(rejected('RECIPIENTS_REQUIRED', 'tlp:red: the hub keeps TLP:RED for named member recipients, which a MISP event cannot name; publish it with publishIndicators and recipients', 'Tag'));
    }
    const severity: Severity = names.map(severityOfHubTag).find((s) => s !== null) ?? eventSeverity;
    const confidence = [...names, ...eventTags].map(confidenceOfHubTag).find((c) => c !== null) ?? DEFAULT_MISP_CONFIDENCE;
    const comment = typeof a.comment === 'string' ? a.comment.trim() : '';
    return {
      ...base,
      input: {
        value,
        type,
        tlp,
        severity,
        confidence,
        tags: keptTags([...eventTags, ...names]),
        ...(comment ? { description: clip(comment, RECORD_LIMITS.indicatorDescription) } : {}),
      },
    };
  });
  return { uuid: event.uuid.toLowerCase(), attributes };
}

/** `filename|<hash>`'s hash, `ip|port`'s address (the last `|`: an IPv6 address holds none, but be exact). */
function partOf(value: string, part: 'first' | 'second'): string {
  const bar = value.lastIndexOf('|');
  if (bar < 0) return value;
  return part === 'first' ? value.slice(0, bar) : value.slice(bar + 1);
}

/**
 * The event's and attribute's tags the indicator keeps: not TLP (the marking says it) nor the
 * hub's own (`hub:`), only those an indicator can hold (1 to 64 characters), the first 20.
 */
function keptTags(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower.startsWith('tlp:') || lower.startsWith(HUB_TAG_NAMESPACE)) continue;
    if (lower.length < 1 || lower.length > RECORD_LIMITS.tagChars) continue;
    out.add(lower);
    if (out.size === RECORD_LIMITS.tags) break;
  }
  return [...out];
}

/**
 * Imports a MISP event as the viewer's indicators: mapped by `mapMispEvent`, then stored by
 * `IndicatorService.publish`, the path `publishIndicators` takes (validation, normalisation, the
 * loosening rule, events and audit). The idempotency key is the event's uuid and a hash of what
 * it maps to: the same event again within the key's lifetime is a replay, and any time later an
 * update of the same claims (one per member, type and value), never a duplicate.
 */
export async function importMispEvent(viewer: Viewer, event: unknown, indicators: Pick<IndicatorService, 'publish'>): Promise<MispImportResult> {
  assertRole(viewer, 'publisher');
  const mapped = mapMispEvent(event);
  const results: MispAttributeResult[] = mapped.attributes.map(({ index, uuid, type, outcome }) => ({
    index,
    uuid,
    type,
    status: outcome?.status ?? 'SKIPPED',
    indicator: null,
    error: outcome?.error ?? null,
  }));
  const publishing = mapped.attributes.flatMap((a) => (a.input ? [{ index: a.index, input: a.input }] : []));
  let replayed = false;
  if (publishing.length > 0) {
    const inputs = publishing.map((p) => p.input);
    const hash = createHash('sha256').update(stableStringify(inputs) ?? '').digest('base64url');
    const outcome = await indicators.publish(viewer, { idempotencyKey: `misp:${mapped.uuid}:${hash}`, indicators: inputs });
    replayed = outcome.replayed;
    for (const r of outcome.results) {
      const at = publishing[r.index]!.index;
      const request = { ...(r.approvalRequestId ? { approvalRequestId: r.approvalRequestId } : {}), ...(r.approvalRequest ? { approvalRequest: r.approvalRequest } : {}) };
      results[at] = { ...results[at]!, status: r.status, indicator: r.indicator, error: r.error, ...request };
    }
  }
  const count = (status: MispAttributeStatus) => results.filter((r) => r.status === status).length;
  return { eventUuid: mapped.uuid, results, created: count('CREATED'), updated: count('UPDATED'), rejected: count('REJECTED'), skipped: count('SKIPPED'), held: count('HELD'), replayed };
}
