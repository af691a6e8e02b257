import { createHash } from 'node:crypto';
import type { Filter } from '../domain/filter.js';
import { SEVERITIES, type IndicatorDoc, type Tlp } from '../domain/types.js';
import { indicatorVisibility, taxiiExclusion, type Viewer } from '../policy/policy.js';
import type { FindOptions, IndicatorRepository, SortSpec } from '../store/ports.js';
import { and, keysetAfter } from '../store/queries.js';
import type { StixGates } from '../stix/stix-gates.js';
import { dayOf, eventDayOf, isoDate, mispAttributeUuid, mispEventUuid, startOfDay } from './misp-ids.js';
import { DEFAULT_TAG_COLOUR, EXPORT_KINDS, hubTag, stricterTlp, TAG_OF_TLP, threatLevelOf } from './misp-vocabulary.js';

/** Who the hub is in MISP: the `Orgc` (creator organisation) of every event of its feeds. */
export interface MispOrg {
  name: string;
  uuid: string;
}

export interface MispFeedOptions {
  indicators: IndicatorRepository;
  /** The schema's STIX gates: whether a viewer sees an indicator's publisher (`Indicator.source`). */
  gates: StixGates;
  org: MispOrg;
  /**
   * How long a write may land after its timestamp, ms (as TAXII's `settleMs`). Default 0 (the
   * embedded store); MongoDB needs its longest write. Timestamps are held below it (`ceiling`).
   */
  settleMs?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Indicators read per store call while writing an event or `hashes.csv`. Default 500. */
  pageSize?: number;
}

/** What the manifest says of one event, and what the event's own header says. */
export interface EventSummary {
  uuid: string;
  day: number;
  /** Seconds: the newest attribute's `timestamp`. */
  timestamp: number;
  threatLevel: 1 | 2 | 3;
  /** The strictest TLP of the event's attributes: the event's own TLP tag. */
  tlp: Tlp;
}

/** A MISP tag as PyMISP's feed generator writes it (`MISPTag._fields_for_feed`). */
interface FeedTag {
  colour: string;
  local: false;
  name: string;
  relationship_type: '';
}

type Member = Extract<Viewer, { kind: 'member' }>;

/** What a walk gathers of one day's indicators. */
interface DayFigures {
  day: number;
  updatedAt: number;
  severityRank: number;
  severity: IndicatorDoc['severity'];
  tlp: Tlp;
}

/** Fields the feed never reads: left in the store (SQLite and MongoDB leave their text out of the answer). */
const SUMMARY_OMIT = ['description', 'submittedValue', 'tags', 'recipients'] as const;
const EVENT_OMIT = ['submittedValue', 'recipients'] as const;

/** The event order inside a day, and across days for `hashes.csv`: the (createdAt, _id) index. */
const CREATED_ORDER: SortSpec = [['createdAt', 1], ['_id', 1]];

const seconds = (instant: Date): number => Math.floor(instant.getTime() / 1000);

const tag = (name: string, colour = DEFAULT_TAG_COLOUR): FeedTag => ({ colour, local: false, name, relationship_type: '' });

/**
 * A member's MISP feed: its indicators (what the policy lets it see, never TLP:RED or
 * TLP:AMBER+STRICT: `taxiiExclusion`) grouped into one MISP event per UTC day of first
 * publication, written in MISP's feed format (PyMISP's `MISPEvent.to_feed` and `.manifest`).
 * docs/federation.md, "MISP", says why each choice; test/misp-feed.test.ts checks the shape
 * against MISP's JSON schema.
 *
 * Everything served is read through the viewer's visibility filter: which days have an event,
 * their timestamps, tags and threat levels depend on the indicators the viewer sees, nothing else.
 */
export class MispFeed {
  private readonly pageSize: number;

  constructor(private readonly options: MispFeedOptions) {
    this.pageSize = options.pageSize ?? 500;
  }

  /** `manifest.json`: every event of the viewer's feed, keyed by uuid, as PyMISP's `MISPEvent.manifest` writes it. */
  async manifest(viewer: Member): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const s of await this.summaries(viewer)) {
      out[s.uuid] = {
        Orgc: this.orgc(),
        Tag: [this.tlpTag(s.tlp)],
        info: this.info(s.day),
        date: isoDate(s.day),
        analysis: 2,
        threat_level_id: s.threatLevel,
        timestamp: s.timestamp,
      };
    }
    return out;
  }

  /**
   * Every event of the viewer's feed, oldest day first: one walk over what the viewer may
   * receive, in (createdAt, _id) index order, a page at a time.
   */
  async summaries(viewer: Member): Promise<EventSummary[]> {
    return this.summarize(viewer, this.scope(viewer));
  }

  /**
   * One event as MISP reads a feed's `<uuid>.json`, in chunks of text (an event holds a whole
   * day, possibly many thousands of attributes: it is streamed, a page of indicators at a time);
   * null when `uuid` is not an event of the viewer's feed.
   */
  async event(viewer: Member, uuid: string): Promise<AsyncIterable<string> | null> {
    const day = eventDayOf(this.options.org.uuid, viewer.memberId, uuid);
    if (day === null) return null;
    const scope = this.scope(viewer);
    const ceiling = this.ceiling();
    const [summary] = await this.summarize(viewer, and(scope, dayRange(day)), ceiling);
    if (!summary) return null;
    // PyMISP's `MISPEvent._fields_for_feed`, with `Orgc` and `Tag`; JSON keys in its (sorted) order.
    const head = JSON.stringify({
      analysis: '2',
      date: isoDate(day),
      extends_uuid: '',
      info: this.info(day),
      protected: false,
      publish_timestamp: String(summary.timestamp),
      published: true,
      threat_level_id: String(summary.threatLevel),
      timestamp: String(summary.timestamp),
      uuid: summary.uuid,
      Orgc: this.orgc(),
      Tag: [this.tlpTag(summary.tlp)],
    });
    const pages = this.pages(and(scope, dayRange(day)), EVENT_OMIT);
    const attribute = (doc: IndicatorDoc) => this.attribute(viewer, doc, ceiling);
    return (async function* () {
      yield `{"Event":${head.slice(0, -1)},"Attribute":[`;
      let first = true;
      for await (const docs of pages) {
        const text = docs.map((d) => JSON.stringify(attribute(d))).join(',');
        if (text) yield first ? text : `,${text}`;
        first &&= text.length === 0;
      }
      yield ']}}';
    })();
  }

  /**
   * `hashes.csv` as MISP and PyMISP write it: one line per attribute, the MD5 of its value and
   * its event's uuid. Revoked indicators (deleted attributes) are left out: MISP correlates on
   * these hashes, and a revoked value is no longer a match worth showing.
   */
  hashes(viewer: Member): AsyncIterable<string> {
    const org = this.options.org.uuid;
    const pages = this.pages(and(this.scope(viewer), { revoked: false }), SUMMARY_OMIT);
    const uuids = new Map<number, string>(); // one UUIDv5 per day, not per line
    const uuidOf = (day: number) => uuids.get(day) ?? (uuids.set(day, mispEventUuid(org, viewer.memberId, day)), uuids.get(day)!);
    return (async function* () {
      for await (const docs of pages) {
        yield docs.map((d) => `${createHash('md5').update(d.value, 'utf8').digest('hex')},${uuidOf(dayOf(d.createdAt))}\n`).join('');
      }
    })();
  }

  /** What the viewer may receive: what it may see, minus what never leaves the hub in a feed. */
  private scope(viewer: Member): Filter {
    return and(indicatorVisibility(viewer), taxiiExclusion());
  }

  /**
   * The latest second a timestamp may say: the second before the current one (less the settle
   * time). MISP fetches an event again only when the manifest's timestamp is greater than the one
   * it stored, and updates an attribute only when its timestamp is greater: a write later in the
   * same second as a fetch must still make the timestamp grow.
   */
  private ceiling(): number {
    const now = (this.options.now ?? Date.now)() - (this.options.settleMs ?? 0);
    return Math.floor(now / 1000) - 1;
  }

  /**
   * The events of the documents `filter` selects, by walking them: the newest write, the worst
   * severity and the strictest TLP of each day. A walk, not a query per figure: SQLite answers
   * "the newest of one day" from the updatedAt index, reading every day's rows (measured: 11 s for
   * a manifest of 60,000 indicators over 30 days, 0.6 s walking).
   */
  private async summarize(viewer: Member, filter: Filter, ceiling = this.ceiling()): Promise<EventSummary[]> {
    const out: EventSummary[] = [];
    const days: DayFigures[] = [];
    for await (const docs of this.pages(filter, SUMMARY_OMIT)) {
      for (const doc of docs) {
        const day = dayOf(doc.createdAt);
        let current = days[days.length - 1];
        if (current?.day !== day) days.push((current = { day, updatedAt: 0, severityRank: -1, severity: SEVERITIES[0], tlp: 'CLEAR' }));
        current.updatedAt = Math.max(current.updatedAt, doc.updatedAt.getTime());
        if (doc.severityRank > current.severityRank) [current.severityRank, current.severity] = [doc.severityRank, doc.severity];
        current.tlp = stricterTlp(current.tlp, doc.tlp);
      }
    }
    for (const d of days) {
      out.push({
        uuid: mispEventUuid(this.options.org.uuid, viewer.memberId, d.day),
        day: d.day,
        timestamp: Math.min(Math.floor(d.updatedAt / 1000), ceiling),
        threatLevel: threatLevelOf(d.severity),
        tlp: d.tlp,
      });
    }
    return out;
  }

  /** The documents matching `filter` in (createdAt, _id) order, a page at a time. */
  private async *pages(filter: Filter, omit: readonly string[]): AsyncIterable<IndicatorDoc[]> {
    let after: IndicatorDoc | undefined;
    const options: FindOptions = { sort: CREATED_ORDER, limit: this.pageSize, ...(omit.length ? { omit } : {}) };
    for (;;) {
      const docs = await this.options.indicators.find(createdOrderPage(filter, after), options);
      if (docs.length) yield docs;
      if (docs.length < this.pageSize) return;
      after = docs[docs.length - 1];
    }
  }

  /**
   * One indicator as a MISP attribute (PyMISP's `MISPAttribute._fields_for_feed`): its TLP tag,
   * the hub's severity and confidence tags, its publisher where the viewer may see it (the
   * `Indicator.source` gate), then its own tags. A revoked indicator is a deleted attribute.
   */
  private attribute(viewer: Member, doc: IndicatorDoc, ceiling: number): Record<string, unknown> {
    const kind = EXPORT_KINDS[doc.type];
    const tags: FeedTag[] = [this.tlpTag(doc.tlp), tag(hubTag('severity', doc.severity.toLowerCase())), tag(hubTag('confidence', String(doc.confidence)))];
    if (this.options.gates.allows(viewer, doc, 'indicator.created_by_ref')) tags.push(tag(hubTag('source', doc.source)));
    for (const t of doc.tags) tags.push(tag(t));
    return {
      category: kind.category,
      comment: doc.description ?? '',
      deleted: doc.revoked,
      disable_correlation: false,
      timestamp: String(Math.min(seconds(doc.updatedAt), ceiling)),
      to_ids: !doc.revoked,
      type: kind.type,
      uuid: mispAttributeUuid(this.options.org.uuid, viewer.memberId, doc._id),
      value: doc.value,
      Tag: tags,
    };
  }

  private orgc(): MispOrg {
    return { name: this.options.org.name, uuid: this.options.org.uuid };
  }

  private tlpTag(tlp: Tlp): FeedTag {
    const { name, colour } = TAG_OF_TLP[tlp];
    return tag(name, colour);
  }

  private info(day: number): string {
    return `${this.options.org.name}: indicators first published on ${isoDate(day)} (UTC)`;
  }
}

function dayRange(day: number): Filter {
  return { createdAt: { $gte: startOfDay(day), $lt: startOfDay(day + 1) } };
}

/**
 * The filter of the page after `after` in (createdAt, _id) order (`CREATED_ORDER`). The bound
 * beside the keyset's $or keeps it an index range whatever the planner's statistics: SQLite was
 * seen reading such a page from the first row of the index (EXPLAIN QUERY PLAN: SCAN).
 */
function createdOrderPage(filter: Filter, after: Pick<IndicatorDoc, 'createdAt' | '_id'> | undefined): Filter {
  return after ? and(filter, { createdAt: { $gte: after.createdAt } }, keysetAfter(CREATED_ORDER, [after.createdAt, after._id])) : filter;
}
