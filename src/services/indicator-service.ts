import { clip } from '../util/clip.js';
import { withId } from '../domain/with-id.js';
import type { EventRecorder, RecordedChange } from './event-recorder.js';
import { createHash, randomUUID } from 'node:crypto';
import { NormalizeError, normalizeIndicator, tryNormalizeIndicator } from '../domain/normalize.js';
import { INDICATOR_TYPES, severityRank, TLPS, type ApprovalRequestDoc, type SightingDoc, type SightingKind, type IndicatorDoc, type IndicatorInput, type IndicatorType, type Tlp } from '../domain/types.js';
import type { HeldClaimState, HeldIndicator } from '../domain/held-indicator.js';
import { badInput, forbidden, hubError } from '../errors.js';
import type { RecordOrigin } from '../domain/peer.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { assertRole, indicatorVisibility, ownsRecord, scoreBaseField, viewerId, type Viewer } from '../policy/policy.js';
import type { ClaimUpsert, IdempotencyRepository, IndicatorRepository, SequenceRepository, SightingRepository } from '../store/ports.js';
import { and, indicatorFilter, sortFor, warnedExclusion } from '../store/queries.js';
import type { QueryIndicatorsArgs } from '../generated/graphql.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { AuditService } from './audit-service.js';
import type { MemberService } from './member-service.js';
import { unknownRecipientMessage, type CommunityService } from './community-service.js';
import { paginate, type Connection } from './paginate.js';
import { scorePage } from './score-page.js';
import type { DecayService } from './decay-service.js';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { PublishScreen } from '../warninglists/publish-screen.js';
import type { WarningMatch } from '../warninglists/warning-list.js';
import type { WarnedByComputer } from '../warninglists/warned-by-computer.js';
import { scoreBasesOf } from '../domain/score-bases.js';
import type { ScoreBaseService } from './score-base-service.js';

export const MAX_PUBLISH_BATCH = 5_000;
export const MAX_LOOKUP_VALUES = 1_000;
/**
 * At most this many matches, a score-filtered list reads them through the score indexes and
 * sorts them (FindOptions.selective); more, and it walks its order. Sorting 5,000 rows costs
 * about what walking the order costs to find a page among matches that common.
 */
export const SELECTIVE_SCORE_MATCHES = 5_000;
const MAX_TAGS = RECORD_LIMITS.tags;
const MAX_DESCRIPTION = RECORD_LIMITS.indicatorDescription;

export interface ItemError {
  code: string;
  message: string;
  field: string | null;
}

export interface PublishResult {
  index: number;
  status: 'CREATED' | 'UPDATED' | 'REJECTED' | 'HELD';
  indicator: IndicatorDoc | null;
  error: ItemError | null;
  /** Warning-list matches of the item's value (src/warninglists/publish-screen.ts); absent: none. */
  warnings?: WarningMatch[];
  /** HELD: the id of the PUBLISH_WARNED_INDICATOR request that decides the item. */
  approvalRequestId?: string;
  /** HELD, in the first answer: that request (a replay has its id only, read again as its viewer may). */
  approvalRequest?: ApprovalRequestDoc;
}

/**
 * Opens the two-person request of an item held under HUB_WARNINGLIST_POLICY=hold
 * (ApprovalService.requestWarnedPublication).
 */
export interface WarnedPublicationRequests {
  requestWarnedPublication(viewer: MemberViewer, targetId: string, held: HeldIndicator, found: HeldClaimState | null): Promise<ApprovalRequestDoc>;
}

/** What publishing an approved held item did: the member's claim before (null: none) and after, and the events to record. */
export interface HeldPublication {
  before: IndicatorDoc | null;
  after: IndicatorDoc;
  changes: RecordedChange[];
}

type MemberViewer = Extract<Viewer, { kind: 'member' }>;

export interface PublishOutcome {
  results: PublishResult[];
  /** True when this answer is the remembered answer to an earlier request with the same key. */
  replayed: boolean;
}

/** One indicator a peer hub sent, as the puller read it (src/federation/peer-puller.ts). */
export interface ReceivedIndicator {
  input: IndicatorInput;
  origin: RecordOrigin;
  /** Revoked at its origin. */
  revoked: boolean;
}

/** What `receive` did with a peer's batch. */
export interface ReceiveOutcome {
  stored: number;
  /** Versions already held (a replay). */
  unchanged: number;
  /** Items that do not validate here, by index. */
  refused: Array<{ index: number; code: string; message: string }>;
}

export interface LookupAnswer {
  input: string;
  normalized: string | null;
  type: IndicatorType | null;
  known: boolean;
  indicators: IndicatorDoc[];
}

const newestFirst = (a: IndicatorDoc, b: IndicatorDoc) => b.updatedAt.getTime() - a.updatedAt.getTime() || (a._id < b._id ? -1 : 1);

interface StoredResult {
  index: number;
  status: PublishResult['status'];
  id: string | null;
  error: ItemError | null;
  warnings?: WarningMatch[];
  approvalRequestId?: string;
}

export interface IndicatorServiceDeps {
  indicators: IndicatorRepository;
  idempotency: IdempotencyRepository;
  sequences: SequenceRepository;
  sightings: SightingRepository;
  members: MemberService;
  /** Which recipients a publisher may name (members, and its own communities). */
  communities: Pick<CommunityService, 'knownRecipients'>;
  cursors: CursorCodec;
  idempotencyTtlMs: number;
  /** Where publishes and revocations are recorded. */
  audit: AuditService;
  /** Where subscribers hear of publishes, updates, sightings and revocations. */
  events: EventRecorder;
  /** Keeps each claim's stored score bases right after every write that changes them (src/services/score-base-service.ts). */
  scoreBases: ScoreBaseService;
  /** The decay models and the instant score filters and the SCORE order judge by (`minScore`, `excludeDecayed`, `orderBy: SCORE`). */
  decay: Pick<DecayService, 'modelsNow' | 'nowIs'>;
  /** Screens published items against the warning lists (HUB_WARNINGLIST_POLICY). Default: no screening. */
  warningScreen?: PublishScreen;
  /**
   * Opens the PUBLISH_WARNED_INDICATOR request of each item held under HUB_WARNINGLIST_POLICY=hold
   * (the approval service; a getter: the two refer to each other). Needed for policy `hold` only.
   */
  holds?: () => WarnedPublicationRequests;
  /**
   * Which FALSE_POSITIVE lists a value is on (stored on every claim written as `warnedBy`) and
   * which apply for a viewer (`excludeWarned`). Default: none (nothing is flagged, nothing excluded).
   */
  warnedBy?: WarnedByComputer;
  now?: () => Date;
  /**
   * Distinct members reporting one indicator as a false positive before its publisher's audit log
   * says so (`HUB_FP_ALERT_MEMBERS`). Default 3.
   */
  fpAlertMembers?: number;
  /** Makes the UUIDs of new ids. Default `crypto.randomUUID` (tests make them deterministic). */
  randomUUID?: () => string;
}

class ItemRejected extends Error {
  constructor(readonly code: string, message: string, readonly field: string) {
    super(message);
  }
}

/** Publishes, finds and looks up indicators: each member's claims about normalised values. */
export class IndicatorService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: IndicatorServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  async list(
    viewer: Viewer,
    args: QueryIndicatorsArgs,
  ): Promise<Connection<IndicatorDoc>> {
    const order = args.orderBy ?? { field: 'UPDATED_AT', direction: 'DESC' };
    // Lowest first would open every (type, base) stream at once: the decayed claims of every base tie at 0.
    if (order.field === 'SCORE' && order.direction !== 'DESC') throw badInput('SCORE is ordered highest first only: use direction DESC', 'orderBy.direction');
    const valueGiven = args.filter?.value != null;
    const filterInput = valueGiven ? { ...args.filter, value: tryNormalizeIndicator(args.filter!.value!)?.value ?? null } : args.filter;
    const sectors = args.filter?.sourceSector;
    const bySector = sectors ? { source: { $in: await this.deps.members.idsInSectors(sectors) } } : null;
    const minScore = args.filter?.minScore;
    if (minScore != null && (!Number.isInteger(minScore) || minScore < 0 || minScore > 100)) throw badInput(`minScore must be an integer from 0 to 100 (got ${minScore})`, 'filter.minScore');
    // The viewer's base, the models as they are now (a hub-admin's change applies here at once) and one instant for the page and its count.
    const excludeDecayed = args.filter?.excludeDecayed === true;
    const scoreFiltered = minScore != null || excludeDecayed;
    const score = scoreFiltered || order.field === 'SCORE'
      ? { field: scoreBaseField(viewer), models: await this.deps.decay.modelsNow(), now: this.deps.decay.nowIs() }
      : undefined;
    // Answered by the store from each claim's stored `warnedBy`: pages and counts alike, no holes.
    const unwarned = args.filter?.excludeWarned ? warnedExclusion(this.deps.warnedBy?.idsFor(viewer) ?? []) : null;
    const visibility = indicatorVisibility(viewer);
    const filter = and(indicatorFilter(filterInput, valueGiven, scoreFiltered ? score : undefined), bySector, unwarned);
    if (order.field === 'SCORE') {
      const types = args.filter?.type?.length ? [...new Set(args.filter.type)] : INDICATOR_TYPES;
      const { field, models, now } = score!;
      return scorePage(this.deps.indicators, {
        visibility,
        filter,
        // What the merge reads with: the filter's types are its streams (`types`), each read by its
        // type, and its score conditions where each stream ends (`minScore`), both as index ranges.
        readFilter: and(indicatorFilter(filterInput && { ...filterInput, type: null, minScore: null, excludeDecayed: null }, valueGiven), bySector, unwarned),
        families: [{ field, scope: {} }],
        types,
        models,
        minScore: new Map(types.map((t) => [t, Math.max(minScore ?? 0, excludeDecayed ? models.get(t)!.threshold : 0)])),
        first: args.first,
        after: args.after,
        // The base field too: a viewer whose tier moved across TRUSTED reads other bases, and its old cursors open to nothing.
        binding: `indicators|${viewerId(viewer)}|SCORE|DESC|${field}`,
        codec: this.deps.cursors,
        now,
      });
    }
    // A score filter that selects few claims (counted through its covering indexes, capped) is read
    // through them and sorted; one that selects many walks the order, which meets matches soon.
    // (Only where the store reads such a page differently: elsewhere the count would be spent for nothing.)
    const selective = !!score && this.deps.indicators.selectiveReads === true && (await this.deps.indicators.count(and(visibility, filter), { limit: SELECTIVE_SCORE_MATCHES + 1 })) <= SELECTIVE_SCORE_MATCHES;
    return paginate(this.deps.indicators, {
      visibility,
      filter,
      selective,
      sort: sortFor(order.field, order.direction),
      first: args.first,
      after: args.after,
      binding: `indicators|${viewerId(viewer)}|${order.field}|${order.direction}`,
      codec: this.deps.cursors,
    });
  }

  /** The indicators among `ids` the viewer may see (unknown and hidden ids are simply absent). */
  async byIds(viewer: Viewer, ids: readonly string[]): Promise<IndicatorDoc[]> {
    if (ids.length === 0) return [];
    return this.deps.indicators.find(and({ _id: { $in: [...ids] } }, indicatorVisibility(viewer)));
  }

  async lookup(viewer: Viewer, values: readonly string[]): Promise<LookupAnswer[]> {
    if (values.length > MAX_LOOKUP_VALUES) throw badInput(`lookupIndicators takes at most ${MAX_LOOKUP_VALUES} values`, 'values');
    const normalized = values.map((v) => tryNormalizeIndicator(v));
    const wanted = [...new Set(normalized.flatMap((n) => (n ? [n.value] : [])))];
    const found = wanted.length
      ? await this.deps.indicators.find(and({ value: { $in: wanted } }, indicatorVisibility(viewer)), { sort: [['_id', 1]] })
      : [];
    const byValue = new Map<string, IndicatorDoc[]>();
    for (const doc of found) {
      if (!byValue.has(doc.value)) byValue.set(doc.value, []);
      byValue.get(doc.value)!.push(doc);
    }
    return values.map((input, i) => {
      const n = normalized[i];
      const matches = (n && byValue.get(n.value)?.filter((d) => d.type === n.type)) || [];
      // Capped after visibility filtering, so which claims are shown depends on visible ones only.
      const shown = matches.length > RECORD_LIMITS.claimsPerLookup ? [...matches].sort(newestFirst).slice(0, RECORD_LIMITS.claimsPerLookup) : matches;
      return { input, normalized: n?.value ?? null, type: n?.type ?? null, known: matches.length > 0, indicators: shown };
    });
  }

  async publish(viewer: Viewer, input: { idempotencyKey: string; indicators: readonly IndicatorInput[] }): Promise<PublishOutcome> {
    assertRole(viewer, 'publisher');
    const key = input.idempotencyKey;
    if (key.length < 1 || key.length > 200) throw badInput('idempotencyKey must be 1 to 200 characters', 'input.idempotencyKey');
    if (input.indicators.length === 0) throw badInput('indicators must not be empty', 'input.indicators');
    if (input.indicators.length > MAX_PUBLISH_BATCH) {
      throw badInput(`a batch holds at most ${MAX_PUBLISH_BATCH} indicators (got ${input.indicators.length})`, 'input.indicators');
    }
    const now = this.now();
    const recordId = `${viewer.memberId}:${key}`;
    const requestHash = createHash('sha256').update(canonicalJson(input.indicators)).digest('base64url');
    // Not this.uuid(): the owner is never shown, and tests' deterministic ids must not shift.
    const owner = randomUUID();
    const existing = await this.deps.idempotency.reserve({
      _id: recordId,
      requestHash,
      response: null,
      owner,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.idempotencyTtlMs),
    });
    if (existing) return this.replay(viewer, existing.requestHash, requestHash, existing.response as StoredResult[] | null);

    try {
      const results = await this.apply(viewer, input.indicators, now);
      await this.deps.idempotency.complete(
        recordId,
        owner,
        results.map((r): StoredResult => ({
          index: r.index,
          status: r.status,
          id: r.indicator?._id ?? null,
          error: r.error,
          ...(r.warnings ? { warnings: r.warnings } : {}),
          ...(r.approvalRequestId ? { approvalRequestId: r.approvalRequestId } : {}),
        })),
      );
      const ids = (status: PublishResult['status']) => results.flatMap((r) => (r.status === status && r.indicator ? [r.indicator._id] : []));
      await this.deps.audit.indicatorsPublished(viewer, {
        created: ids('CREATED'),
        updated: ids('UPDATED'),
        rejected: results.flatMap((r) => (r.status === 'REJECTED' ? [{ index: r.index, code: r.error?.code ?? 'REJECTED' }] : [])),
      });
      return { results, replayed: false };
    } catch (err) {
      await this.deps.idempotency.release(recordId, owner);
      throw err;
    }
  }

  private async replay(viewer: Viewer, storedHash: string, requestHash: string, stored: StoredResult[] | null): Promise<PublishOutcome> {
    if (storedHash !== requestHash) {
      throw hubError('IDEMPOTENCY_CONFLICT', 'this idempotencyKey was already used for a different batch; use a new key', 'input.idempotencyKey');
    }
    if (!stored) {
      throw hubError('IDEMPOTENCY_CONFLICT', 'a request with this idempotencyKey is still being processed; retry shortly', 'input.idempotencyKey');
    }
    const ids = stored.flatMap((r) => (r.id ? [r.id] : []));
    const docs = new Map((await this.byIds(viewer, ids)).map((d) => [d._id, d]));
    return {
      replayed: true,
      results: stored.map((r) => ({
        index: r.index,
        status: r.status,
        error: r.error,
        indicator: r.id ? docs.get(r.id) ?? null : null,
        ...(r.warnings ? { warnings: r.warnings } : {}),
        // The same request, never a second one: the resolver reads it again as this viewer may see it.
        ...(r.approvalRequestId ? { approvalRequestId: r.approvalRequestId } : {}),
      })),
    };
  }

  private async apply(viewer: MemberViewer, items: readonly IndicatorInput[], now: Date): Promise<PublishResult[]> {
    const source = viewer.memberId;
    const results: PublishResult[] = new Array(items.length);
    const accepted: Array<{ index: number; upsert: ClaimUpsert }> = [];
    const recipientIds = [...new Set(items.flatMap((i) => i.recipients ?? []))];
    // Members of the hub, and communities the publisher belongs to or owns: one refusal for the rest.
    const knownMembers = await this.deps.communities.knownRecipients(source, recipientIds);
    // Members' lists read before any item is: the screen and the stored warnedBy both match them.
    await this.deps.warningScreen?.ready();

    const valid: Array<{ index: number; upsert: ClaimUpsert; warnings: WarningMatch[] }> = [];
    items.forEach((item, index) => {
      try {
        valid.push({ index, upsert: this.toUpsert(source, item, now, knownMembers), warnings: [] });
      } catch (err) {
        if (!(err instanceof ItemRejected)) throw err;
        results[index] = { index, status: 'REJECTED', indicator: null, error: { code: err.code, message: err.message, field: err.field } };
      }
    });
    const held: typeof valid = [];
    const screened = this.screenWarnings(valid, results, held, viewer);
    // Re-publishing one's own claim must not loosen its sharing: that needs a second person.
    const existing = await this.ownClaims(source, [...screened, ...held].map((v) => v.upsert.key.value));
    for (const v of screened) {
      const refusal = looseningRefusal(existing.get(`${v.upsert.key.type}\u0000${v.upsert.key.value}`), v.upsert.set);
      if (refusal) results[v.index] = { index: v.index, status: 'REJECTED', indicator: null, error: refusal };
      else accepted.push(v);
    }
    if (accepted.length > 0) await this.writeClaims(accepted, existing, results);
    if (held.length > 0) await this.holdItems(viewer, held, existing, results);
    for (const v of valid) if (v.warnings.length && results[v.index]) results[v.index]!.warnings = v.warnings;
    return results;
  }

  /**
   * Items held under HUB_WARNINGLIST_POLICY=hold: nothing of them is stored; each opens a
   * PUBLISH_WARNED_INDICATOR request holding the item as normalised, the member's claim on the
   * value as found, and the publishing person. An item that would loosen the member's own claim
   * is refused as any such re-publication is (APPROVAL_REQUIRED): a hold is no way around
   * requestTlpChange. The request's target is the claim the item will write: the existing one,
   * else the id the new claim will get.
   */
  private async holdItems(viewer: MemberViewer, held: ReadonlyArray<{ index: number; upsert: ClaimUpsert }>, existing: Map<string, IndicatorDoc>, results: PublishResult[]): Promise<void> {
    const holds = this.deps.holds?.();
    if (!holds) throw new Error('HUB_WARNINGLIST_POLICY=hold needs the approval service wired into the indicator service (holds)');
    // The requests and their audit entries commit together where the store can (no half-held
    // batch), and in one commit: one at a time, 1,000 held items took 15 s on SQLite.
    await this.deps.events.recording('INDICATOR', async () => {
      for (const v of held) {
        const claim = existing.get(`${v.upsert.key.type}\u0000${v.upsert.key.value}`);
        const refusal = looseningRefusal(claim, v.upsert.set);
        if (refusal) {
          results[v.index] = { index: v.index, status: 'REJECTED', indicator: null, error: refusal };
          continue;
        }
        const targetId = claim?._id ?? (v.upsert.onInsert._id as string);
        const request = await holds.requestWarnedPublication(viewer, targetId, heldOf(v.upsert), claim ? claimState(claim) : null);
        results[v.index] = { index: v.index, status: 'HELD', indicator: null, error: null, approvalRequestId: request._id, approvalRequest: request };
      }
      return { value: undefined, changes: [] };
    });
  }

  /**
   * For ApprovalService only (the approval is the authorisation): publishes the held item of an
   * approved PUBLISH_WARNED_INDICATOR as the member that submitted it, with publishIndicators'
   * claim semantics (upsert by source, type and value; the decay clock restarts; a PUBLISHED or
   * UPDATED event). Only while the member is still ACTIVE, its claim on the value is still as the
   * hold found it (nothing it published or revoked since is overwritten by the older item) and
   * the item still validates (its recipients still known); else null, with nothing written.
   * Runs inside the caller's event recording: the events are answered, not recorded here.
   */
  async applyHeldPublication(request: ApprovalRequestDoc, now: Date): Promise<HeldPublication | null> {
    const held = request.change.heldIndicator;
    if (!held) return null;
    const source = request.ownerMemberId;
    if ((await this.deps.members.get(source))?.status !== 'ACTIVE') return null;
    const existing = await this.ownClaims(source, [held.value]);
    const claim = existing.get(`${held.type}\u0000${held.value}`) ?? null;
    const found = request.expected.claim ?? null;
    const current = claim ? claimState(claim) : null;
    if (current?.id !== found?.id || current?.version !== found?.version) return null;
    let upsert: ClaimUpsert;
    try {
      upsert = this.toUpsert(source, inputOf(held), now, await this.deps.communities.knownRecipients(source, held.recipients));
    } catch (err) {
      if (err instanceof ItemRejected) return null;
      throw err;
    }
    if (upsert.key.type !== held.type || upsert.key.value !== held.value) return null;
    upsert.onInsert = { ...upsert.onInsert, ...withId(request.target.id) };
    const results: PublishResult[] = [];
    const changes: RecordedChange[] = [];
    await this.writeClaims([{ index: 0, upsert }], existing, results, changes);
    const after = results[0]?.indicator;
    return after ? { before: claim, after, changes } : null;
  }

  /**
   * Applies HUB_WARNINGLIST_POLICY to the valid items (src/warninglists/publish-screen.ts): notes
   * each item's matches on it, refuses those the policy rejects (filling `results`), and answers
   * the items to store. `publisher`: whose view of members' lists screens them (a list it may not see neither warns nor engages the policy).
   */
  private screenWarnings<T extends { index: number; upsert: ClaimUpsert; warnings?: WarningMatch[] }>(valid: T[], results: PublishResult[], held: T[], publisher: Viewer): T[] {
    const screen = this.deps.warningScreen;
    if (!screen) return valid;
    return valid.filter((v) => {
      const verdict = screen.screen(v.upsert.key.type, v.upsert.key.value, publisher);
      v.warnings = verdict.warnings;
      if (verdict.action === 'store') return true;
      if (verdict.action === 'hold') {
        held.push(v);
        return false;
      }
      results[v.index] = { index: v.index, status: 'REJECTED', indicator: null, error: PublishScreen.refusal(verdict.warnings) };
      return false;
    });
  }

  /**
   * Stores what a peer hub sent (src/federation/peer-puller.ts) as claims of the peer member
   * `source`, through the same normalisation, upsert and events as `publishIndicators`, each with
   * its provenance (`origin`). Idempotent on (origin hub, origin id, version): an item whose
   * version this claim already holds writes nothing (a replay after a restart is harmless). A
   * peer's claim is its origin's word, approved there: no loosening check (a TLP lowered at the
   * origin is lowered here), no recipients (TLP:RED never crosses). Answers what was stored.
   */
  async receive(source: string, items: readonly ReceivedIndicator[]): Promise<ReceiveOutcome> {
    const now = this.now();
    const outcome: ReceiveOutcome = { stored: 0, unchanged: 0, refused: [] };
    // The last item for one (type, value) wins: one claim per member, type and value.
    const byKey = new Map<string, { index: number; upsert: ClaimUpsert; item: ReceivedIndicator }>();
    items.forEach((item, index) => {
      try {
        const upsert = this.toUpsert(source, item.input, now, new Set());
        upsert.set.origin = item.origin;
        if (item.revoked) Object.assign(upsert.set, { revoked: true, revokedReason: 'revoked at its origin hub' });
        byKey.set(`${upsert.key.type}\u0000${upsert.key.value}`, { index, upsert, item });
      } catch (err) {
        if (!(err instanceof ItemRejected)) throw err;
        outcome.refused.push({ index, code: err.code, message: err.message });
      }
    });
    const existing = await this.ownClaims(source, [...byKey.values()].map((v) => v.upsert.key.value));
    const accepted: Array<{ index: number; upsert: ClaimUpsert }> = [];
    for (const [key, v] of byKey) {
      const had = existing.get(key)?.origin;
      const o = v.item.origin;
      if (had && had.hub === o.hub && had.id === o.id && had.version >= o.version && existing.get(key)!.revoked === v.item.revoked) outcome.unchanged++;
      else accepted.push(v);
    }
    if (accepted.length) await this.writeClaims(accepted, existing, new Array(items.length));
    outcome.stored = accepted.length;
    return outcome;
  }

  /**
   * Writes accepted claims and their PUBLISHED / UPDATED / REVOKED events, committed together where
   * the store can; fills `results`. With `into`, the caller is already recording (an approval
   * publishing a held item): the events are added to `into` for it to record.
   */
  private async writeClaims(accepted: Array<{ index: number; upsert: ClaimUpsert }>, existing: Map<string, IndicatorDoc>, results: PublishResult[], into?: RecordedChange[]): Promise<void> {
    type Write = () => Promise<{ value: undefined; changes: RecordedChange[] }>;
    const record = into ? async (write: Write) => void into.push(...(await write()).changes) : (write: Write) => this.deps.events.recording('INDICATOR', write);
    // The score bases as the publisher's tier and the claim's false-positive reporters give them
    // now; `settle` below fixes any that a concurrent report or tier change made wrong meanwhile.
    const tiers = await this.deps.scoreBases.tiersOf(accepted.map((a) => a.upsert.key.source));
    for (const { upsert } of accepted) {
      const before = existing.get(`${upsert.key.type}\u0000${upsert.key.value}`);
      Object.assign(upsert.set, scoreBasesOf({ confidence: upsert.set.confidence!, falsePositiveReporters: before?.falsePositiveReporters ?? [] }, tiers.get(upsert.key.source) ?? null));
    }
    // The claims and their PUBLISHED / UPDATED events commit together where the store can.
    await record(async () => {
      const firstSeq = await this.deps.sequences.next('indicators', accepted.length);
      accepted.forEach((a, i) => (a.upsert.set.seq = firstSeq + i));
      const written = await this.deps.indicators.upsertClaims(accepted.map((a) => a.upsert));
      // Each claim as the batch left it: the store's own copy where it gave one, else read back.
      const docs = new Map<string, IndicatorDoc>();
      for (const w of written) if (w.doc) docs.set(w.id, w.doc);
      const unread = written.flatMap((w) => (w.doc ? [] : [w.id]));
      if (unread.length) for (const d of await this.deps.indicators.find({ _id: { $in: unread } })) docs.set(d._id, d);
      accepted.forEach((a, i) => {
        const w = written[i]!;
        results[a.index] = { index: a.index, status: w.created ? 'CREATED' : 'UPDATED', indicator: docs.get(w.id) ?? null, error: null };
      });
      const changes = accepted.flatMap((a, i): RecordedChange[] => {
        const doc = docs.get(written[i]!.id);
        if (!doc) return [];
        const before = existing.get(`${a.upsert.key.type}\u0000${a.upsert.key.value}`) ?? null;
        if (written[i]!.created) return [{ type: 'PUBLISHED' as const, doc }];
        return [{ type: doc.revoked && before && !before.revoked ? ('REVOKED' as const) : ('UPDATED' as const), doc, before }];
      });
      return { value: undefined, changes };
    });
    // After the commit, so that the tiers it reads are read after the claims are visible: a tier
    // change landing later rewrites them (ScoreBaseService). Results show the claims as settled.
    const written = accepted.flatMap((a) => (results[a.index]?.indicator ? [results[a.index]!.indicator!] : []));
    const settled = new Map((await this.deps.scoreBases.settle(written)).map((d) => [d._id, d]));
    for (const a of accepted) {
      const r = results[a.index];
      if (r?.indicator) r.indicator = settled.get(r.indicator._id) ?? r.indicator;
    }
  }

  /** The member's existing claims on these values, by type and value. */
  private async ownClaims(source: string, values: readonly string[]): Promise<Map<string, IndicatorDoc>> {
    if (values.length === 0) return new Map();
    const docs = await this.deps.indicators.find({ value: { $in: [...new Set(values)] }, source });
    return new Map(docs.map((d) => [`${d.type}\u0000${d.value}`, d]));
  }

  /** Validates and normalises one item into its upsert; throws ItemRejected naming the field. */
  private toUpsert(source: string, item: IndicatorInput, now: Date, knownMembers: ReadonlySet<string>): ClaimUpsert {
    let normalized;
    try {
      normalized = normalizeIndicator(item.value, item.type);
    } catch (err) {
      if (err instanceof NormalizeError) throw new ItemRejected(err.code, err.message, 'value');
      throw err;
    }
    const recipients = [...new Set(item.recipients ?? [])];
    if (recipients.length > RECORD_LIMITS.recipients) {
      throw new ItemRejected('TOO_MANY', `at most ${RECORD_LIMITS.recipients} recipients (got ${recipients.length})`, 'recipients');
    }
    if (item.tlp === 'RED' && recipients.length === 0) {
      throw new ItemRejected('RECIPIENTS_REQUIRED', 'TLP:RED needs a non-empty recipients list of member or community ids', 'recipients');
    }
    if (item.tlp !== 'RED' && recipients.length > 0) {
      throw new ItemRejected('RECIPIENTS_NOT_ALLOWED', `recipients apply only to TLP:RED; a TLP:${item.tlp} record is shared by tier`, 'recipients');
    }
    const unknownRecipient = recipients.find((r) => !knownMembers.has(r));
    if (unknownRecipient !== undefined) {
      throw new ItemRejected('UNKNOWN_RECIPIENT', unknownRecipientMessage(clip(unknownRecipient)), 'recipients');
    }
    if (!Number.isInteger(item.confidence) || item.confidence < 0 || item.confidence > 100) {
      throw new ItemRejected('OUT_OF_RANGE', 'confidence must be an integer from 0 to 100', 'confidence');
    }
    const validFrom = item.validFrom ?? now;
    const validUntil = item.validUntil ?? null;
    if (validUntil && validUntil.getTime() <= validFrom.getTime()) {
      throw new ItemRejected('INVALID_RANGE', 'validUntil must be later than validFrom', 'validUntil');
    }
    const tags = [...new Set((item.tags ?? []).map((t) => t.trim().toLowerCase()))];
    if (tags.length > MAX_TAGS) throw new ItemRejected('TOO_MANY', `at most ${MAX_TAGS} tags`, 'tags');
    if (tags.some((t) => t.length === 0 || t.length > RECORD_LIMITS.tagChars)) {
      throw new ItemRejected('INVALID_VALUE', `each tag must be 1 to ${RECORD_LIMITS.tagChars} characters`, 'tags');
    }
    const description = item.description?.trim() || null;
    if (description && description.length > MAX_DESCRIPTION) {
      throw new ItemRejected('TOO_LONG', `description must be at most ${MAX_DESCRIPTION} characters`, 'description');
    }
    return {
      key: { source, type: normalized.type, value: normalized.value },
      onInsert: { ...withId(`indicator--${this.uuid()}`), createdAt: now, sightingCount: 0, lastSeenAt: null },
      set: {
        submittedValue: item.value,
        tlp: item.tlp,
        recipients,
        severity: item.severity,
        severityRank: severityRank(item.severity),
        confidence: item.confidence,
        validFrom,
        validUntil,
        tags,
        description,
        revoked: false,
        revokedReason: null,
        updatedAt: now,
        // Publishing the claim again confirms it: the decay clock restarts and an analyst's override ends.
        lastConfirmedAt: now,
        scoreOverride: null,
        // Every path that writes a claim comes here (publish, TAXII writes, MISP import, peer pulls).
        warnedBy: this.deps.warnedBy?.warnedBy(normalized.type, normalized.value) ?? [],
      },
    };
  }

  /**
   * Adds sightings to an indicator the viewer can see; returns it, or NOT_FOUND. A true positive
   * confirms the claim (its decay clock restarts at `seenAt`); a false positive is
   * `reportFalsePositive`.
   */
  async reportSighting(viewer: Viewer, id: string, count: number, seenAt: Date | null | undefined, kind: SightingKind = 'TRUE_POSITIVE'): Promise<IndicatorDoc> {
    assertRole(viewer, 'reader');
    if (kind === 'FALSE_POSITIVE') return this.reportFalsePositive(viewer, id, count, seenAt);
    const { now, seen } = this.sightingTimes(count, seenAt);
    // Visibility first: nothing (not even a sequence number) may be spent on an id the caller cannot see.
    const [visible] = await this.byIds(viewer, [id]);
    if (!visible) throw notFound(id);
    const seq = await this.deps.sequences.next('indicators');
    // The count, the sighting and the SIGHTED event commit together where the store can.
    const updated = await this.deps.events.recording('INDICATOR', async () => {
      const after = await this.deps.indicators.updateOne(and({ _id: id }, indicatorVisibility(viewer)), {
        $inc: { sightingCount: count },
        // A true-positive sighting confirms the claim: the decay clock restarts at the sighting.
        $max: { lastSeenAt: seen, lastConfirmedAt: seen },
        $set: { updatedAt: now, seq },
      });
      if (!after) return { value: null, changes: [] };
      await this.deps.sightings.insert({ ...withId(`sighting--${this.uuid()}`), indicatorId: id, reporter: viewer.memberId, count, seenAt: seen, reportedAt: now });
      return { value: after, changes: [{ type: 'SIGHTED', doc: after, before: after }] };
    });
    if (!updated) throw notFound(id);
    return updated;
  }

  /** Checks a sighting report's count and time (either kind): now, and when it was seen (default now). */
  private sightingTimes(count: number, seenAt: Date | null | undefined): { now: Date; seen: Date } {
    if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw badInput('count must be an integer from 1 to 1,000,000', 'count');
    const now = this.now();
    const seen = seenAt ?? now;
    if (seen.getTime() > now.getTime() + 60_000) throw badInput('seenAt must not be in the future', 'seenAt');
    return { now, seen };
  }

  /**
   * A report that the indicator matched benign activity (docs/intel-quality.md): stored as a
   * FALSE_POSITIVE sighting (not counted in `sightingCount`, no clock reset), and the reporting
   * member joins `falsePositiveReporters` (each distinct member other than the publisher halves the
   * score's base). When the count of reporters reaches `fpAlertMembers`, the publisher's audit log
   * says so, counting the reporters without naming them.
   */
  private async reportFalsePositive(viewer: Extract<Viewer, { kind: 'member' }>, id: string, count: number, seenAt: Date | null | undefined): Promise<IndicatorDoc> {
    const { now, seen } = this.sightingTimes(count, seenAt);
    const [visible] = await this.byIds(viewer, [id]);
    if (!visible) throw notFound(id);
    const own = ownsRecord(viewer, visible);
    const seq = await this.deps.sequences.next('indicators');
    const result = await this.deps.events.recording('INDICATOR', async () => {
      const before = (await this.deps.indicators.find(and({ _id: id }, indicatorVisibility(viewer))))[0];
      if (!before) return { value: null, changes: [] };
      // The publisher's own doubt is its to act on (re-publish, override, revoke): it never lowers the base.
      const after = await this.deps.indicators.updateOne(and({ _id: id }, indicatorVisibility(viewer)), {
        ...(own ? {} : { $addToSet: { falsePositiveReporters: viewer.memberId } }),
        $set: { updatedAt: now, seq },
      });
      if (!after) return { value: null, changes: [] };
      await this.deps.sightings.insert({ ...withId(`sighting--${this.uuid()}`), indicatorId: id, reporter: viewer.memberId, count, seenAt: seen, reportedAt: now, kind: 'FALSE_POSITIVE' });
      return { value: { before, after }, changes: [{ type: 'SIGHTED' as const, doc: after, before }] };
    });
    if (!result) throw notFound(id);
    // A new reporter halves the base: stored at once (after the commit, as for a publish).
    if (!own) result.after = (await this.deps.scoreBases.settle([result.after]))[0] ?? result.after;
    const threshold = this.deps.fpAlertMembers ?? 3;
    const had = result.before.falsePositiveReporters?.length ?? 0;
    const has = result.after.falsePositiveReporters?.length ?? 0;
    if (had < threshold && has >= threshold) await this.deps.audit.falsePositivesReported(result.after.source, id, has);
    return result.after;
  }

  /**
   * Sets the score of one of the viewer's member's indicators by hand (publisher role): it holds,
   * without decaying, until the member publishes the claim again (which clears it). Audited.
   */
  async overrideScore(viewer: Viewer, id: string, score: number, reason: string): Promise<IndicatorDoc> {
    assertRole(viewer, 'publisher');
    if (!Number.isInteger(score) || score < 0 || score > 100) throw badInput('score must be an integer from 0 to 100', 'score');
    const text = reason.trim();
    if (text.length < 1 || text.length > RECORD_LIMITS.revokedReason) throw badInput(`reason must be 1 to ${RECORD_LIMITS.revokedReason} characters`, 'reason');
    const [doc] = await this.byIds(viewer, [id]);
    if (!doc) throw notFound(id);
    if (!ownsRecord(viewer, doc)) throw forbidden("only the member that published an indicator can override its score");
    const now = this.now();
    const seq = await this.deps.sequences.next('indicators');
    const updated = await this.deps.events.recording('INDICATOR', async () => {
      const after = await this.deps.indicators.updateOne(
        { _id: id, source: viewer.memberId },
        { $set: { scoreOverride: { score, reason: text, by: viewer.userId, at: now }, updatedAt: now, seq } },
      );
      return { value: after, changes: after ? [{ type: 'UPDATED' as const, doc: after, before: doc }] : [] };
    });
    if (!updated) throw notFound(id);
    await this.deps.audit.scoreOverridden(viewer, id, score, text);
    return updated;
  }

  /** The sightings of indicators the caller already holds (visibility was decided when it got them). */
  async sightingsOf(indicatorIds: readonly string[]): Promise<SightingDoc[]> {
    return indicatorIds.length ? this.deps.sightings.findByIndicators(indicatorIds) : [];
  }

  /** Revokes one of the viewer's own claims. Revoking twice keeps the first reason. */
  async revoke(viewer: Viewer, id: string, reason: string): Promise<IndicatorDoc> {
    assertRole(viewer, 'publisher');
    const text = reason.trim();
    if (text.length < 1 || text.length > RECORD_LIMITS.revokedReason) throw badInput(`reason must be 1 to ${RECORD_LIMITS.revokedReason} characters`, 'reason');
    const [doc] = await this.byIds(viewer, [id]);
    if (!doc) throw notFound(id);
    if (!ownsRecord(viewer, doc)) throw forbidden('only the member that published an indicator can revoke it');
    if (doc.revoked) return doc;
    const seq = await this.deps.sequences.next('indicators');
    // The revocation and its REVOKED event commit together where the store can.
    const updated = await this.deps.events.recording('INDICATOR', async () => {
      const after = await this.deps.indicators.updateOne(
        { _id: id, source: viewer.memberId },
        { $set: { revoked: true, revokedReason: text, updatedAt: this.now(), seq } },
      );
      return { value: after, changes: after ? [{ type: 'REVOKED' as const, doc: after, before: doc }] : [] };
    });
    if (!updated) throw notFound(id);
    await this.deps.audit.indicatorRevoked(viewer, id);
    return updated;
  }

  /**
   * For ApprovalService only (the approval is the authorisation): sets an indicator's TLP or
   * recipients if its sharing still is `expected` (compare-and-set in one store call). Returns
   * the indicator before and after, or null when it is gone or its sharing has moved on. The caller records the UPDATED event
   * (ApprovalService.approve: in the transaction that claims the approval).
   */
  async applyApprovedSharing(
    id: string,
    expected: { tlp: Tlp; recipients?: string[] },
    set: { tlp?: Tlp; recipients: string[] },
  ): Promise<{ before: IndicatorDoc; after: IndicatorDoc } | null> {
    const guard = { _id: id, tlp: expected.tlp, ...(expected.recipients ? { recipients: expected.recipients } : {}) };
    const [before] = await this.deps.indicators.find(guard);
    if (!before) return null;
    const seq = await this.deps.sequences.next('indicators');
    const after = await this.deps.indicators.updateOne(guard, { $set: { ...set, updatedAt: this.now(), seq } });
    return after ? { before, after } : null;
  }
}

const tlpRank = (tlp: Tlp) => TLPS.indexOf(tlp);

/** Why re-publishing over `previous` would loosen its sharing, or null when it would not. */
function looseningRefusal(previous: IndicatorDoc | undefined, next: Partial<IndicatorDoc>): ItemError | null {
  if (!previous || !next.tlp) return null;
  if (tlpRank(next.tlp) < tlpRank(previous.tlp)) {
    return {
      code: 'APPROVAL_REQUIRED',
      field: 'tlp',
      message: `lowering the TLP of your indicator ${previous._id} from ${previous.tlp} to ${next.tlp} needs a second person's approval: ask with requestTlpChange(recordId: "${previous._id}", tlp: ${next.tlp}, reason: ...)`,
    };
  }
  const kept = next.recipients ?? [];
  if (previous.tlp === 'RED' && next.tlp === 'RED' && previous.recipients.some((r) => !kept.includes(r))) {
    return {
      code: 'APPROVAL_REQUIRED',
      field: 'recipients',
      message: `removing recipients of your indicator ${previous._id} needs a second person's approval: ask with requestRecipientsChange(recordId: "${previous._id}", recipients: [...], reason: ...)`,
    };
  }
  return null;
}

/** The same answer for an id that does not exist and one the viewer may not see. */
function notFound(id: string) {
  return hubError('NOT_FOUND', `no indicator with id "${clip(id)}"`, 'id');
}

/**
 * The same JSON for inputs that mean the same: keys sorted (safe-stable-stringify), null and
 * absent fields alike, so a retry that spells an omitted field as `null` is still the same
 * request. Byte for byte what the hand-written version produced for GraphQL inputs (whose field
 * names are never integer-like), so stored idempotency hashes stay valid.
 */
function canonicalJson(value: unknown): string {
  return stableStringify(value, function (this: unknown, _key: string, v: unknown) {
    return v === null && !Array.isArray(this) ? undefined : v;
  }) ?? 'null';
}



/** The held form of a validated, normalised item (what its PUBLISH_WARNED_INDICATOR request keeps). */
function heldOf(upsert: ClaimUpsert): HeldIndicator {
  const set = upsert.set;
  return {
    type: upsert.key.type,
    value: upsert.key.value,
    submittedValue: set.submittedValue!,
    tlp: set.tlp!,
    recipients: set.recipients ?? [],
    severity: set.severity!,
    confidence: set.confidence!,
    validFrom: set.validFrom!,
    validUntil: set.validUntil ?? null,
    tags: set.tags ?? [],
    description: set.description ?? null,
  };
}

/** The input that publishes a held item again (validated and normalised once more when approved). */
function inputOf(held: HeldIndicator): IndicatorInput {
  const { type, submittedValue, tlp, recipients, severity, confidence, validFrom, validUntil, tags, description } = held;
  return { value: submittedValue, type, tlp, recipients, severity, confidence, validFrom, validUntil, tags, description };
}

/**
 * A claim's state as far as its member wrote it: what it published (every field a publish sets
 * but its times), its revocation and an analyst's override; not sightings, which others add.
 */
function claimState(doc: IndicatorDoc): HeldClaimState {
  const { submittedValue, tlp, recipients, severity, confidence, validFrom, validUntil, tags, description, revoked, revokedReason, scoreOverride } = doc;
  const written = { submittedValue, tlp, recipients, severity, confidence, validFrom, validUntil, tags, description, revoked, revokedReason, scoreOverride: scoreOverride ?? null };
  return { id: doc._id, version: createHash('sha256').update(canonicalJson(written)).digest('base64url') };
}
