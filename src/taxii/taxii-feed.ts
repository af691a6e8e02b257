import type { IndicatorDoc, NoticeDoc, SightingDoc } from '../domain/types.js';
import type { VulnerabilityDoc } from '../domain/vulnerability.js';
import { tlpOfStage, type DisclosureSchedule } from '../domain/vulnerability-stage.js';
import { embargoApplies, indicatorVisibility, modelReviewVisibility, noticeVisibility, redactVulnerability, taxiiExclusion, taxiiSightingScope, taxiiVulnerabilityExclusion, viewerId, vulnerabilityVisibility, type Viewer } from '../policy/policy.js';
import type { Filter } from '../domain/filter.js';
import type { MemberService } from '../services/member-service.js';
import type { IndicatorRepository, ModelReviewRepository, NoticeRepository, SightingRepository, VulnerabilityRepository } from '../store/ports.js';
import { and, warnedExclusion } from '../store/queries.js';
import type { WarnedByComputer } from '../warninglists/warned-by-computer.js';
import { HUB_EXTENSION_DEFINITION, HUB_IDENTITY } from '../stix/hub-extension.js';
import { memberToStix } from '../stix/identity-to-stix.js';
import { indicatorToStix } from '../stix/indicator-to-stix.js';
import { DecayService } from '../services/decay-service.js';
import { noticeToStix } from '../stix/notice-to-stix.js';
import { sightingToStix } from '../stix/sighting-to-stix.js';
import { vulnerabilityToStix } from '../stix/vulnerability-to-stix.js';
import type { StixGates, StixView } from '../stix/stix-gates.js';
import { STIX_SPEC_VERSION, type StixObject } from '../stix/stix-object.js';
import { tlpMarkingDefinition } from '../stix/tlp-markings.js';
import { TLPS } from '../domain/types.js';
import type { CursorCodec } from '../util/cursor-codec.js';
import type { TaxiiCollection } from './collections.js';
import { AFTER_ALL_IDS, comparePositions, offsetOfId, parseTimestamp, type Position } from './date-added.js';
import { ListSource, StoreSource, type Entry, type ObjectSource } from './object-source.js';
import { DEFAULT_LIMIT, hasFilters, sameFilters, type ObjectFilters, type ObjectQuery } from './object-query.js';
import { PageTokens } from './page-token.js';
import { readPage } from './pager.js';
import { badRequest } from './taxii-error.js';
import { releaseDating } from './release-dating.js';
import { ReviewSource } from './review-source.js';
import { MODEL_REVIEW_STIX_TYPE } from '../stix/model-review-to-stix.js';

export interface TaxiiFeedOptions {
  indicators: IndicatorRepository;
  notices: NoticeRepository;
  sightings: SightingRepository;
  vulnerabilities: VulnerabilityRepository;
  /** Pre-deployment model reviews: served as `x-model-review` objects in the notices collection (docs/taxii.md). */
  modelReviews: Pick<ModelReviewRepository, 'find'>;
  /** The clearinghouse's disclosure schedule (HUB_POC_DELAY): the stage each case is redacted at. */
  schedule: DisclosureSchedule;
  members: MemberService;
  /** Scores at read time: an indicator's `confidence`, `valid_until` and `decayed` label (docs/intel-quality.md). */
  decay: DecayService;
  /** The schema's STIX gates: which properties and objects each viewer sees. */
  gates: StixGates;
  /** Seals `next` tokens (the hub's cursor codec). */
  cursors: CursorCodec;
  /**
   * How long before a read an object must have been added to be served, ms. Default 0: the
   * embedded store writes a version in the same turn of the event loop as it takes its timestamp,
   * so every version dated before the read's millisecond is already there. A store where a write
   * can land later than its timestamp (MongoDB) needs at least its longest write here, or an
   * `added_after` poller could pass over a late write.
   */
  settleMs?: number;
  /** The clock that dates a read's cutoff, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** The FALSE_POSITIVE lists that apply for a caller (`match[x_hub_warned]=false`). Default: none (nothing is left out). */
  warnedBy?: Pick<WarnedByComputer, 'idsFor'>;
}

export interface ObjectsPage {
  entries: Entry[];
  more: boolean;
  /** Continues the walk; present when `more`. */
  next?: string;
}

const NOTHING: Filter = { _id: { $in: [] } };

/**
 * Serves the TAXII collections' objects to one viewer at a time: what the policy lets it see,
 * never TLP:RED or TLP:AMBER+STRICT, as STIX redacted for it, in `date_added` order.
 */
export class TaxiiFeed {
  private readonly tokens: PageTokens;

  constructor(private readonly options: TaxiiFeedOptions) {
    this.tokens = new PageTokens(options.cursors);
  }

  /** One page of a collection's objects (also what the manifest lists). */
  async objects(viewer: Viewer, collection: TaxiiCollection, query: ObjectQuery): Promise<ObjectsPage> {
    const binding = `${viewerId(viewer)}|${collection.id}`;
    let { filters } = query;
    let limit = query.limit ?? DEFAULT_LIMIT;
    let after: Position | null = null;
    if (query.next !== undefined) {
      const state = this.tokens.open(binding, query.next);
      if (!state) throw badRequest('next is not a token this collection gave you');
      if (hasFilters(filters) && !sameFilters(filters, state.filters)) {
        throw badRequest('next continues a request with other filters: repeat them unchanged, or send next alone');
      }
      filters = state.filters;
      limit = query.limit ?? state.limit;
      after = state.after;
    } else if (filters.addedAfter !== undefined) {
      const { t, u } = parseTimestamp(filters.addedAfter)!;
      after = { t, u, id: AFTER_ALL_IDS };
    }
    const { cutoff, now } = await this.instant();
    const page = await readPage(await this.sources(viewer, collection, filters, now), after, cutoff, limit);
    const last = page.entries[page.entries.length - 1];
    if (!page.more || !last) return { entries: page.entries, more: false };
    return { ...page, next: this.tokens.seal(binding, { after: last.position, filters, limit }) };
  }

  /** The one object with this id the viewer may see, filtered by the request; null when there is none to see. */
  async object(viewer: Viewer, collection: TaxiiCollection, id: string, filters: ObjectFilters): Promise<Entry[] | null> {
    const { cutoff, now } = await this.instant();
    const sources = await this.sources(viewer, collection, { ids: [id] }, now);
    const { entries } = await readPage(sources, null, cutoff, 10);
    if (entries.length === 0) return null;
    const after = filters.addedAfter !== undefined ? parseTimestamp(filters.addedAfter) : null;
    return entries.filter(
      (e) =>
        (!filters.specVersions || filters.specVersions.includes(STIX_SPEC_VERSION)) &&
        (!after || comparePositions(e.position, { ...after, id: AFTER_ALL_IDS }) > 0) &&
        versionMatches(e.version, filters.versions),
    );
  }

  /**
   * The instant a read sees the store at: after a millisecond's pause, so that everything written
   * before the request arrived is dated before the cutoff; versions dated at or after the cutoff
   * wait for the next request (see `settleMs`).
   */
  private async instant(): Promise<{ cutoff: number; now: Date }> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const now = (this.options.now ?? Date.now)();
    return { cutoff: now - (this.options.settleMs ?? 0), now: new Date(now) };
  }

  private async sources(viewer: Viewer, collection: TaxiiCollection, filters: ObjectFilters, now: Date): Promise<ObjectSource[]> {
    if (filters.specVersions && !filters.specVersions.includes(STIX_SPEC_VERSION)) return [];
    const wants = (type: string) => !filters.types || filters.types.includes(type);
    const ids: Filter = filters.ids ? { _id: { $in: filters.ids } } : {};
    const view: StixView = { viewer, gates: this.options.gates };
    const out: ObjectSource[] = [];
    switch (collection.alias) {
      case 'indicators': {
        // Indicators only: a sighting carries no value of its own to be on a list.
        const unwarned = filters.warned === false ? warnedExclusion(this.options.warnedBy?.idsFor(viewer) ?? []) : null;
        if (wants('indicator')) out.push(this.indicatorSource(view, and(ids, versionFilter('updatedAt', filters.versions), unwarned)));
        if (wants('sighting')) {
          const sightings = await this.sightingSource(view, and(ids, versionFilter('reportedAt', filters.versions)));
          if (sightings) out.push(sightings);
        }
        break;
      }
      case 'model-risk-notices':
        if (wants('x-model-risk-notice')) out.push(...this.noticeSources(view, and(ids, versionFilter('updatedAt', filters.versions)), now));
        if (wants(MODEL_REVIEW_STIX_TYPE)) {
          const { modelReviews: reviews, notices, vulnerabilities } = this.options;
          out.push(new ReviewSource({ reviews, notices, vulnerabilities, view, scope: ids, now, versionMatches: (v) => versionMatches(v, filters.versions) }));
        }
        break;
      case 'reference':
        out.push(await this.referenceSource(viewer, filters, wants));
        break;
      case 'vulnerabilities':
        if (wants('vulnerability')) out.push(...this.vulnerabilitySource(viewer, and(ids, versionFilter('updatedAt', filters.versions)), now));
        break;
    }
    return out;
  }

  private indicatorSource(view: StixView, filter: Filter): ObjectSource {
    return new StoreSource<IndicatorDoc>({
      repo: this.options.indicators,
      scope: and(indicatorVisibility(view.viewer), taxiiExclusion(), filter),
      timeField: 'updatedAt',
      toObjects: async (docs) => {
        const publishers = await this.options.members.getMany([...new Set(docs.map((d) => d.source))]);
        // The tier weighs the score only where the viewer sees who published (docs/intel-quality.md).
        const decay = await this.options.decay.factsOf(docs, DecayService.tiers(publishers, (d) => view.gates.allows(view.viewer, d, 'indicator.created_by_ref')));
        return docs.map((d) => indicatorToStix(d, view, decay.get(d._id)));
      },
    });
  }

  /** Sightings of indicators served over TAXII, where the viewer sees sightings; null when it sees none. */
  private async sightingSource(view: StixView, filter: Filter): Promise<ObjectSource | null> {
    const { viewer, gates } = view;
    const { indicators, sightings } = this.options;
    let scope = filter;
    const allowed = taxiiSightingScope(viewer, gates.tierOf('sighting'));
    if (allowed.kind === 'none') return null;
    if (allowed.kind === 'own-indicators') {
      const own = await indicators.find(and({ source: allowed.memberId }, taxiiExclusion()));
      if (own.length === 0) return null;
      scope = and(filter, { indicatorId: { $in: own.map((d) => d._id) } });
    }
    return new StoreSource<SightingDoc>({
      repo: sightings,
      scope,
      timeField: 'reportedAt',
      toObjects: async (docs) => {
        const ids = [...new Set(docs.map((d) => d.indicatorId))];
        const visible = await indicators.find(and({ _id: { $in: ids } }, indicatorVisibility(viewer), taxiiExclusion()));
        const byId = new Map(visible.map((d) => [d._id, d]));
        return docs.map((s) => {
          const indicator = byId.get(s.indicatorId);
          return indicator ? sightingToStix(s, indicator, view) : null;
        });
      },
    });
  }

  /**
   * Notices, dated by when the viewer could first see their current version: the latest of their
   * `updatedAt`, their embargo's end (for a viewer held back by embargoes, on another member's
   * notice) and their model review's release (`reviewReleaseAt`, for a viewer outside the review's
   * audience), so that `added_after` pollers receive a notice released after its last update.
   * One source per dating field, partitioned so that each notice is in exactly one (`releaseDating`).
   */
  private noticeSources(view: StixView, filter: Filter, now: Date): ObjectSource[] {
    const { viewer } = view;
    const base = and(noticeVisibility(viewer, now), taxiiExclusion(), filter);
    const source = (scope: Filter, timeField: 'updatedAt' | 'embargoUntil' | 'reviewReleaseAt') =>
      new StoreSource<NoticeDoc>({
        repo: this.options.notices,
        scope,
        timeField,
        toObjects: (docs) => this.noticeObjects(docs, view, now),
      });
    return releaseDating(viewer, embargoApplies(viewer)).map(({ scope, timeField }) => source(and(base, scope), timeField));
  }

  private async noticeObjects(docs: NoticeDoc[], view: StixView, now: Date): Promise<StixObject[]> {
    const related = [...new Set(docs.flatMap((d) => d.relatedIndicatorIds))];
    const visible = related.length
      ? new Set((await this.options.indicators.find(and({ _id: { $in: related } }, indicatorVisibility(view.viewer), taxiiExclusion()))).map((d) => d._id))
      : new Set<string>();
    const reviews = await this.visibleReviews(docs, view.viewer, now);
    return docs.map((d) => noticeToStix(d, view, d.relatedIndicatorIds.filter((id) => visible.has(id)), reviewRefOf(d, reviews)));
  }

  /** The ids of the findings' reviews that the viewer may see (`review_ref` is given only for those). */
  private async visibleReviews(docs: ReadonlyArray<{ reviewId?: string | null }>, viewer: Viewer, now: Date): Promise<Set<string>> {
    const ids = [...new Set(docs.flatMap((d) => (d.reviewId ? [d.reviewId] : [])))];
    if (ids.length === 0) return new Set();
    return new Set((await this.options.modelReviews.find(and({ _id: { $in: ids } }, modelReviewVisibility(viewer, now)))).map((r) => r._id));
  }

  /**
   * Clearinghouse cases the viewer may see, never a RECEIVED (TLP:RED) one, each as the policy
   * redacts it at its stage, dated by `updatedAt` (every step that widens a case's audience is a
   * write, so a viewer a case newly reaches finds it at the end of the collection), or by its
   * model review's release when that came later and the viewer was outside the review's audience.
   */
  private vulnerabilitySource(viewer: Viewer, filter: Filter, now: Date): ObjectSource[] {
    const base = and(vulnerabilityVisibility(viewer, now), taxiiVulnerabilityExclusion(), filter);
    return releaseDating(viewer, false).map(
      ({ scope, timeField }) =>
        new StoreSource<VulnerabilityDoc>({
          repo: this.options.vulnerabilities,
          scope: and(base, scope),
          // Cases have no embargoUntil (`embargoes` false): updatedAt or reviewReleaseAt.
          timeField: timeField as 'updatedAt' | 'reviewReleaseAt',
          toObjects: async (docs) => {
            const reviews = await this.visibleReviews(docs, viewer, now);
            return docs.map((doc) => {
              const view = redactVulnerability(doc, viewer, now, this.options.schedule);
              return view ? vulnerabilityToStix(view, { tlp: tlpOfStage(view.stage) }, reviewRefOf(doc, reviews)) : null;
            });
          },
        }),
    );
  }

  /** The reference objects: markings, the hub's identity and extension, and the member identities the viewer may see. */
  private async referenceSource(viewer: Viewer, filters: ObjectFilters, wants: (type: string) => boolean): Promise<ObjectSource> {
    const objects: StixObject[] = [...TLPS.map(tlpMarkingDefinition), HUB_IDENTITY, HUB_EXTENSION_DEFINITION];
    if (viewer.kind === 'member') {
      for (const member of await this.options.members.directory(viewer)) {
        if (this.options.gates.allows(viewer, { source: member._id }, 'identity')) objects.push(memberToStix(member));
      }
    }
    const kept = objects.filter(
      (o) =>
        wants(o.type) &&
        (!filters.ids || filters.ids.includes(o.id)) &&
        versionMatches(String(o.modified ?? o.created), filters.versions),
    );
    return new ListSource(kept.map((object) => ({ object, position: { t: Date.parse(String(object.modified ?? object.created)), u: offsetOfId(object.id), id: object.id } })));
  }
}

/** A finding's review id when the viewer may see that review (in `visible`), else null. */
const reviewRefOf = (doc: { reviewId?: string | null }, visible: ReadonlySet<string>): string | null => (doc.reviewId && visible.has(doc.reviewId) ? doc.reviewId : null);

/** `match[version]` as a store filter on the version's field: the hub keeps only the current version. */
function versionFilter(field: string, versions: string[] | undefined): Filter {
  if (!versions || versions.some((v) => v === 'last' || v === 'first' || v === 'all')) return {};
  const instants = versions.flatMap((v) => {
    const ts = parseTimestamp(v);
    return ts && ts.u === 0 ? [new Date(ts.t)] : [];
  });
  return instants.length ? { [field]: { $in: instants } } : NOTHING;
}

function versionMatches(version: string, versions: string[] | undefined): boolean {
  if (!versions || versions.some((v) => v === 'last' || v === 'first' || v === 'all')) return true;
  const t = Date.parse(version);
  return versions.some((v) => {
    const ts = parseTimestamp(v);
    return ts !== null && ts.u === 0 && ts.t === t;
  });
}

