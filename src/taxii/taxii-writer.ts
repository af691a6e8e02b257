import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { stixVersionKey, TAXII_STATUS_RETENTION_MS, type StixVersionDoc, type TaxiiStatusDetail, type TaxiiStatusDoc } from '../domain/taxii-write.js';
import { mayReadTaxiiStatus, mayWriteTaxii, type Viewer } from '../policy/policy.js';
import type { IndicatorService } from '../services/indicator-service.js';
import type { StixVersionRepository, TaxiiStatusRepository } from '../store/ports.js';
import { clip } from '../util/clip.js';
import type { ApprovalStatus } from '../domain/types.js';
import { indicatorInputOf } from './indicator-input-of.js';
import { canonicalTimestamp, timestampDate } from './stix-timestamp.js';
import { TaxiiError } from './taxii-error.js';

/** Most objects one add-objects request may hold (more: 413, nothing written). */
export const MAX_TAXII_OBJECTS = 1_000;

/** The reason a revocation through TAXII is recorded with. */
const REVOKED_REASON = 'revoked through TAXII (the STIX object was marked revoked)';

const STIX_ID = /^(indicator|sighting)--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface TaxiiWriterOptions {
  /**
   * The service behind `publishIndicators` and `reportSighting`: objects go through its
   * validation, normalisation, loosening check, events and audit exactly as those do.
   */
  indicators: Pick<IndicatorService, 'publish' | 'reportSighting' | 'revoke'>;
  /** Where status resources are kept (`retentionMs`). */
  statuses: TaxiiStatusRepository;
  /** Which version of which STIX object each member wrote: idempotency per object id and version. */
  versions: StixVersionRepository;
  /** Most objects per request. Default MAX_TAXII_OBJECTS (1,000). */
  maxObjects?: number;
  /** How long a status resource is kept. Default TAXII_STATUS_RETENTION_MS (7 days). */
  retentionMs?: number;
  /**
   * The decisions on the PUBLISH_WARNED_INDICATOR requests of objects held under
   * HUB_WARNINGLIST_POLICY=hold, by request id (ApprovalService.decisionsOf): read each time a
   * status is read, so a held object shows as pending, then as a success once approved (with the
   * indicator it became) or a failure once rejected or expired. Default: held objects stay pending.
   */
  heldDecisions?: (requestIds: readonly string[]) => Promise<Map<string, { status: ApprovalStatus; indicatorId: string }>>;
  /** Default `() => new Date()`. */
  now?: () => Date;
  /** Makes status ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
}

/** One object of the envelope, checked for the properties every object needs. */
interface Item {
  index: number;
  object: Record<string, unknown>;
  id: string;
  type: 'indicator' | 'sighting';
  /** `modified` as the client wrote it: what the status reports as `version`. */
  version: string;
  /** `modified` in fixed width: what versions are compared by. */
  modified: string;
}

/** `ok`: a success, or a failure; `held`: pending, waiting for a second person's approval. */
type Outcome = { ok: boolean; held?: true; detail: TaxiiStatusDetail };

/**
 * TAXII 2.1 "Add Objects" into the indicators collection, and its status resources (docs/taxii.md,
 * "Writing: add objects"). Responsible for turning STIX indicators and sightings into what
 * `publishIndicators` and `reportSighting` take, for idempotency per object id and version, and
 * for the status of each request, shown only to the member that made it.
 *
 * Every message is about the object posted or the writer's own records, never about another
 * member's: claims are per member (a value another member holds hidden is a fresh claim of the
 * writer's), versions are per member, and a sighting of an indicator the writer may not see is
 * refused exactly as one of an indicator that does not exist.
 */
export class TaxiiWriter {
  private readonly now: () => Date;
  private readonly uuid: () => string;
  private readonly maxObjects: number;
  private readonly retentionMs: number;
  constructor(private readonly options: TaxiiWriterOptions) {
    this.now = options.now ?? (() => new Date());
    this.uuid = options.randomUUID ?? randomUUID;
    this.maxObjects = options.maxObjects ?? MAX_TAXII_OBJECTS;
    this.retentionMs = options.retentionMs ?? TAXII_STATUS_RETENTION_MS;
  }

  /** Whether the viewer may write (the collection's `can_write` for it). */
  canWrite(viewer: Viewer): boolean {
    return mayWriteTaxii(viewer);
  }

  /**
   * Adds the objects of a TAXII envelope, answering with the stored status resource. Throws a
   * TaxiiError (403, 413, 422) when the request as a whole is refused: then nothing is written.
   */
  async add(viewer: Viewer, envelope: unknown): Promise<TaxiiStatusDoc> {
    if (!mayWriteTaxii(viewer) || viewer.kind !== 'member') {
      throw new TaxiiError(403, 'Forbidden', 'can_write is false for this credential: adding objects needs an API key or token with the publisher role');
    }
    const objects = this.objectsOf(envelope);
    const now = this.now();
    const statusId = this.uuid();
    const outcomes: Outcome[] = new Array(objects.length);
    const fail = (index: number, id: string, version: string, message: string) => (outcomes[index] = { ok: false, detail: { id, version, message } });
    const succeed = (item: Item, message: string) => (outcomes[item.index] = { ok: true, detail: { id: item.id, version: item.version, message } });
    const hold = (item: Item, message: string, approvalRequestId: string) =>
      (outcomes[item.index] = { ok: false, held: true, detail: { id: item.id, version: item.version, message, approvalRequestId } });

    // Each object's own shape; then one version per id (the newest), the rest answered as it is after it.
    const items: Item[] = [];
    objects.forEach((object, index) => {
      const item = itemOf(object, index);
      if ('reason' in item) fail(index, item.id, item.version, item.reason);
      else items.push(item);
    });
    const newest = new Map<string, Item>();
    for (const item of items) {
      const held = newest.get(item.id);
      if (!held || item.modified > held.modified) newest.set(item.id, item);
    }
    const applied = items.filter((item) => newest.get(item.id) === item);
    const repeated = items.filter((item) => newest.get(item.id) !== item);

    const memberId = viewer.memberId;
    const refs = applied.flatMap((i) => (i.type === 'sighting' && typeof i.object.sighting_of_ref === 'string' ? [i.object.sighting_of_ref] : []));
    const stored = new Map((await this.options.versions.find(memberId, [...applied.map((i) => i.id), ...refs])).map((d) => [d.stixId, d]));
    // Versions written are stored together once their records are: after the publish, after each revocation or sighting.
    const unsaved: StixVersionDoc[] = [];
    const remember = async (item: Item, recordId: string, count?: number, later = false, heldBy?: string) => {
      const doc: StixVersionDoc = {
        _id: stixVersionKey(memberId, item.id), memberId, stixId: item.id, modified: item.modified, recordId,
        ...(count !== undefined ? { count } : {}), ...(heldBy ? { heldBy } : {}), writtenAt: now,
      };
      stored.set(item.id, doc);
      unsaved.push(doc);
      if (!later) await this.options.versions.put(unsaved.splice(0));
    };
    // Versions held for approval count as written while their request is open or once approved.
    const heldIds = [...stored.values()].flatMap((d) => (d.heldBy ? [d.heldBy] : []));
    const decisions = heldIds.length > 0 && this.options.heldDecisions ? await this.options.heldDecisions(heldIds) : new Map<string, { status: ApprovalStatus }>();
    /** The answer when this version or a newer one was already written (or is held): no write. */
    const already = (item: Item): boolean => {
      const prior = stored.get(item.id);
      if (!prior || prior.modified < item.modified) return false;
      if (prior.heldBy) {
        const status = decisions.get(prior.heldBy)?.status;
        if (status === 'PENDING') {
          if (prior.modified === item.modified) hold(item, heldMessage(prior.heldBy), prior.heldBy);
          else succeed(item, 'not applied: a newer version of this object is held for approval');
          return true;
        }
        // Rejected or expired: nothing was stored, so posting it again holds it anew.
        if (status !== 'APPROVED') return false;
      }
      succeed(item, prior.modified === item.modified ? 'unchanged: this version is already stored' : 'not applied: a newer version of this object is stored');
      return true;
    };

    // Indicators first (one publish, so one audit entry as publishIndicators makes), then sightings, which may name them.
    const toPublish: Array<{ item: Item; input: ReturnType<typeof indicatorInputOf> & { ok: true } }> = [];
    for (const item of applied.filter((i) => i.type === 'indicator')) {
      if (already(item)) continue;
      if (item.object.revoked === true) {
        await this.revoke(viewer, item, stored.get(item.id), succeed, fail, remember);
        continue;
      }
      const input = indicatorInputOf(item.object);
      if (input.ok) toPublish.push({ item, input });
      else fail(item.index, item.id, item.version, input.reason);
    }
    if (toPublish.length > 0) {
      const { results } = await this.options.indicators.publish(viewer, { idempotencyKey: `taxii:${statusId}`, indicators: toPublish.map((p) => p.input.input) });
      for (const [i, result] of results.entries()) {
        const { item } = toPublish[i]!;
        if (result.status === 'HELD' && result.approvalRequest) {
          // Not stored yet: the version is remembered as held (a retry answers the same request), and the status shows the decision when read.
          await remember(item, result.approvalRequest.target.id, undefined, true, result.approvalRequest._id);
          hold(item, heldMessage(result.approvalRequest._id), result.approvalRequest._id);
          continue;
        }
        if (result.status === 'REJECTED' || !result.indicator) {
          fail(item.index, item.id, item.version, result.error ? `${result.error.code} (${result.error.field}): ${result.error.message}` : 'rejected');
          continue;
        }
        await remember(item, result.indicator._id, undefined, true);
        succeed(item, result.status === 'CREATED' ? `created ${result.indicator._id}` : `updated ${result.indicator._id}`);
      }
    }
    await this.options.versions.put(unsaved.splice(0));
    for (const item of applied.filter((i) => i.type === 'sighting')) {
      if (already(item)) continue;
      await this.sighting(viewer, item, stored, succeed, fail, remember);
    }

    // TAXII 2.1 §5.4: an exact duplicate is not an error. A repeat of the same version shares the
    // outcome of the one applied; an older version is not applied, as it would not be on its own.
    for (const item of repeated) {
      const kept = newest.get(item.id)!;
      const outcome = outcomes[kept.index]!;
      const message = kept.modified === item.modified ? outcome.detail.message! : outcome.ok || outcome.held ? 'not applied: a newer version of this object is in the same envelope' : outcome.detail.message!;
      // A repeat of a held version waits with it; an older one is not applied (a success, as for a stored one).
      const held = outcome.held && kept.modified === item.modified;
      outcomes[item.index] = { ok: outcome.ok || (!!outcome.held && !held), ...(held ? { held: true as const } : {}), detail: { id: item.id, version: item.version, message, ...(held ? { approvalRequestId: outcome.detail.approvalRequestId! } : {}) } };
    }

    const successes = outcomes.flatMap((o) => (o.ok ? [o.detail] : []));
    const failures = outcomes.flatMap((o) => (o.ok || o.held ? [] : [o.detail]));
    const pendings = outcomes.flatMap((o) => (o.held ? [o.detail] : []));
    const status: TaxiiStatusDoc = {
      _id: statusId,
      memberId,
      status: pendings.length > 0 ? 'pending' : 'complete',
      requestTimestamp: now,
      totalCount: objects.length,
      successCount: successes.length,
      successes,
      failureCount: failures.length,
      failures,
      pendingCount: pendings.length,
      pendings,
      expiresAt: new Date(now.getTime() + this.retentionMs),
    };
    await this.options.statuses.removeExpired(now);
    await this.options.statuses.insert(status);
    return status;
  }

  /** The status resource, for the member that made it; null for anyone else, as for an unknown or expired id. */
  async status(viewer: Viewer, id: string): Promise<TaxiiStatusDoc | null> {
    if (viewer.kind !== 'member') return null;
    const doc = await this.options.statuses.get(id, this.now());
    return doc && mayReadTaxiiStatus(viewer, doc) ? this.withDecisions(doc) : null;
  }

  /**
   * The status with its held objects' decisions as they are now (nothing is written: a decision
   * is read, as a request's expiry is): approved, a success naming the indicator; rejected or
   * expired, a failure; still open, pending. Complete once nothing is pending.
   */
  private async withDecisions(doc: TaxiiStatusDoc): Promise<TaxiiStatusDoc> {
    const ids = doc.pendings.flatMap((p) => (p.approvalRequestId ? [p.approvalRequestId] : []));
    if (ids.length === 0 || !this.options.heldDecisions) return doc;
    const decisions = await this.options.heldDecisions([...new Set(ids)]);
    const successes = [...doc.successes];
    const failures = [...doc.failures];
    const pendings: TaxiiStatusDetail[] = [];
    for (const p of doc.pendings) {
      const decision = p.approvalRequestId ? decisions.get(p.approvalRequestId) : undefined;
      const base = { id: p.id, version: p.version };
      if (decision?.status === 'APPROVED') successes.push({ ...base, message: `stored as ${decision.indicatorId} once a second person approved ${p.approvalRequestId}` });
      else if (decision?.status === 'REJECTED' || decision?.status === 'EXPIRED') failures.push({ ...base, message: `not stored: ${p.approvalRequestId} was ${decision.status.toLowerCase()} (the value is on a false-positive warning list)` });
      else pendings.push(p);
    }
    return {
      ...doc,
      status: pendings.length > 0 ? 'pending' : 'complete',
      successCount: successes.length,
      successes,
      failureCount: failures.length,
      failures,
      pendingCount: pendings.length,
      pendings,
    };
  }

  /** The envelope's `objects`, or the TAXII refusal of the whole request. */
  private objectsOf(envelope: unknown): Array<Record<string, unknown>> {
    if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) throw unprocessable('the body must be a TAXII envelope: {"objects": [...]}');
    const objects = (envelope as Record<string, unknown>).objects;
    if (!Array.isArray(objects) || objects.length === 0) throw unprocessable('the envelope must hold a non-empty "objects" list');
    if (objects.length > this.maxObjects) throw new TaxiiError(413, 'Payload too large', `at most ${this.maxObjects} objects per request (got ${objects.length}); split the envelope`);
    return objects.map((o) => (o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : {}));
  }

  /** A revoked indicator: revokes the claim an earlier version of the same object made (revokeIndicator's path). */
  private async revoke(
    viewer: Viewer,
    item: Item,
    prior: StixVersionDoc | undefined,
    succeed: (item: Item, message: string) => void,
    fail: (index: number, id: string, version: string, message: string) => void,
    remember: (item: Item, recordId: string) => Promise<void>,
  ): Promise<void> {
    if (!prior) return void fail(item.index, item.id, item.version, 'revoked: no earlier version of this object was added by your member, so there is nothing to revoke');
    try {
      await this.options.indicators.revoke(viewer, prior.recordId, REVOKED_REASON);
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      return void fail(item.index, item.id, item.version, `revoked: ${err.message}`);
    }
    await remember(item, prior.recordId);
    succeed(item, `revoked ${prior.recordId}`);
  }

  /** A sighting: reportSighting on the indicator it names, adding what its count adds to the stored version's. */
  private async sighting(
    viewer: Viewer,
    item: Item,
    stored: ReadonlyMap<string, StixVersionDoc>,
    succeed: (item: Item, message: string) => void,
    fail: (index: number, id: string, version: string, message: string) => void,
    remember: (item: Item, recordId: string, count?: number) => Promise<void>,
  ): Promise<void> {
    const { object } = item;
    const ref = object.sighting_of_ref;
    if (typeof ref !== 'string' || !/^indicator--/.test(ref)) return void fail(item.index, item.id, item.version, 'sighting_of_ref must name an indicator (indicator--...)');
    const count = object.count ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1_000_000) return void fail(item.index, item.id, item.version, 'count must be an integer from 1 to 1,000,000');
    const seen = object.last_seen ?? object.first_seen;
    const seenAt = seen === undefined ? null : timestampDate(seen);
    if (seen !== undefined && !seenAt) return void fail(item.index, item.id, item.version, 'last_seen and first_seen must be STIX timestamps');
    // The writer's own earlier object of that id, else an id the hub gave (as TAXII and GraphQL show them).
    const recordId = stored.get(ref)?.recordId ?? ref;
    const prior = stored.get(item.id);
    const added = count - (prior?.count ?? 0);
    if (added <= 0) {
      await remember(item, recordId, prior?.count);
      return void succeed(item, 'unchanged: no sightings beyond those of the stored version');
    }
    try {
      await this.options.indicators.reportSighting(viewer, recordId, added, seenAt);
    } catch (err) {
      if (!(err instanceof GraphQLError)) throw err;
      // The same words for an indicator that does not exist and one the writer may not see.
      const message = err.extensions?.code === 'NOT_FOUND' ? `sighting_of_ref: no indicator ${clip(ref)} that you may see` : `${err.extensions?.field ?? 'sighting'}: ${err.message}`;
      return void fail(item.index, item.id, item.version, message);
    }
    await remember(item, recordId, count);
    succeed(item, `sighting of ${recordId} recorded (${added} added)`);
  }
}

/** The TAXII status resource as the wire shows it (TAXII 2.1 §4.3.1); empty lists are left out. */
export function statusResource(doc: TaxiiStatusDoc): Record<string, unknown> {
  return {
    id: doc._id,
    status: doc.status,
    request_timestamp: doc.requestTimestamp.toISOString(),
    total_count: doc.totalCount,
    success_count: doc.successCount,
    ...(doc.successes.length ? { successes: doc.successes } : {}),
    failure_count: doc.failureCount,
    ...(doc.failures.length ? { failures: doc.failures } : {}),
    pending_count: doc.pendingCount,
    // The request id stays in the store: the message names it for the member that posted.
    ...(doc.pendings.length ? { pendings: doc.pendings.map(({ id, version, message }) => ({ id, version, ...(message ? { message } : {}) })) } : {}),
  };
}

/** A held object's message in `pendings`: it names the request the poster may follow. */
function heldMessage(requestId: string): string {
  return `held for a second person's approval: the value is on a false-positive warning list (approval request ${requestId})`;
}

function unprocessable(description: string): TaxiiError {
  return new TaxiiError(422, 'Unprocessable entity', description);
}

/** The properties every object needs, or why the object fails (with what of its id and version it has). */
function itemOf(object: Record<string, unknown>, index: number): Item | { id: string; version: string; reason: string } {
  const id = typeof object.id === 'string' ? clip(object.id) : '';
  const version = typeof object.modified === 'string' ? clip(object.modified) : typeof object.created === 'string' ? clip(object.created) : '';
  const refuse = (reason: string) => ({ id, version, reason });
  if (object.type !== 'indicator' && object.type !== 'sighting') {
    return refuse(`type ${JSON.stringify(typeof object.type === 'string' ? clip(object.type) : null)} is not accepted: the indicators collection takes indicator and sighting objects`);
  }
  if (typeof object.id !== 'string' || !STIX_ID.test(object.id) || !object.id.startsWith(`${object.type}--`)) return refuse(`id must be ${object.type}--<uuid>`);
  if (object.spec_version !== '2.1') return refuse('spec_version must be 2.1');
  if (canonicalTimestamp(object.created) === null) return refuse('created must be a STIX timestamp');
  const modified = canonicalTimestamp(object.modified);
  if (modified === null) return refuse('modified must be a STIX timestamp (it names the version)');
  return { index, object, id: object.id, type: object.type, version, modified };
}
