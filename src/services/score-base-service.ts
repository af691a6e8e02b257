import { holdsBases, scoreBasesOf } from '../domain/score-bases.js';
import { INDICATOR_TYPES, type IndicatorDoc, type MemberTier } from '../domain/types.js';
import type { IndicatorRepository, MemberRepository } from '../store/ports.js';

/** Claims read and rewritten per step of a member's rewrite or of the backfill. */
export const SCORE_BASE_BATCH = 1_000;

/** The backfill reports its progress every this many claims (a first start after an upgrade at a million takes minutes). */
const BACKFILL_PROGRESS_EVERY = 50_000;

/** How often one claim's guarded write is tried again after another write moved it meanwhile. */
const SETTLE_ATTEMPTS = 5;

export interface ScoreBaseServiceDeps {
  indicators: Pick<IndicatorRepository, 'find' | 'updateOne'>;
  /** Read fresh on every settle (never a cache): the tier a base is weighed by is the registry's now. */
  members: Pick<MemberRepository, 'findByIds' | 'list' | 'update'>;
  /** Claims per step of a rewrite or the backfill. Default `SCORE_BASE_BATCH`. */
  batch?: number;
  /** Told of a claim whose bases could not be settled (written over too often meanwhile); default: nothing. */
  onUnsettled?: (id: string) => void;
  /**
   * Runs a batch's writes as one commit where the store can (`EventLogRepository.appendWith` with
   * no events). Without it each claim's write commits alone: on SQLite one fsync per claim, about
   * 260 claims a second on a busy machine, an hour for a million at the first start after an upgrade.
   */
  inOneCommit?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Keeps each claim's stored score bases (`scoreBase`, `scoreBaseOpen`: src/domain/score-bases.ts)
 * equal to what its confidence, false-positive reporters and its publisher's current tier give,
 * so that score filters and the SCORE order can read them from an index.
 *
 * Every write that changes an input settles the claims it wrote afterwards (`settle`): it reads
 * the claims and their publishers' tiers as they are after the write and fixes any base that
 * disagrees, with a write guarded on the claim's `seq` and the bases it read (a concurrent writer
 * that moved them makes it read again). So the last writer always settles the final state, and a
 * tier change that lands after a publish's settle read the old tier is followed by the member's
 * rewrite (`rewriteMember`), which reads the claim the publish wrote.
 *
 * A tier change rewrites every claim of the member in batches (`rewriteMember`) and then marks
 * the member (`Member.scoreTier`); a rewrite cut short (a crash, a restart) leaves the mark
 * behind, and `backfill`, run at every start, finishes it, as it fills claims stored before the
 * bases existed.
 */
export class ScoreBaseService {
  private readonly batch: number;

  constructor(private readonly deps: ScoreBaseServiceDeps) {
    this.batch = deps.batch ?? SCORE_BASE_BATCH;
  }

  /** The tiers of these publishers as the registry has them now; null for one no longer on record. */
  async tiersOf(sources: Iterable<string>): Promise<Map<string, MemberTier | null>> {
    const ids = [...new Set(sources)];
    const found = ids.length ? await this.deps.members.findByIds(ids) : [];
    const byId = new Map(found.map((m) => [m._id, m.tier]));
    return new Map(ids.map((id) => [id, byId.get(id) ?? null]));
  }

  /**
   * Makes the stored bases of `docs` (claims as a write just left them) agree with their inputs
   * and their publishers' tiers now. Answers each claim as it is after (the same object where it
   * already agreed), in the same order; a claim gone meanwhile is left out.
   */
  async settle(docs: readonly IndicatorDoc[]): Promise<IndicatorDoc[]> {
    if (docs.length === 0) return [];
    let tiers = await this.tiersOf(docs.map((d) => d.source));
    const out: IndicatorDoc[] = [];
    for (const first of docs) {
      let doc: IndicatorDoc | undefined = first;
      for (let attempt = 0; doc; attempt++) {
        const bases = scoreBasesOf(doc, tiers.get(doc.source) ?? null);
        if (holdsBases(doc, bases)) break;
        if (attempt === SETTLE_ATTEMPTS) {
          this.deps.onUnsettled?.(doc._id);
          break;
        }
        const guard = { _id: doc._id, seq: doc.seq, scoreBase: doc.scoreBase ?? null, scoreBaseOpen: doc.scoreBaseOpen ?? null };
        const after = await this.deps.indicators.updateOne(guard, { $set: { ...bases } });
        if (after) {
          doc = after;
          break;
        }
        // Written meanwhile (a publish, a report, another settle): read the claim and the tier again.
        [doc] = await this.deps.indicators.find({ _id: first._id });
        if (doc) tiers = new Map([...tiers, ...(await this.tiersOf([doc.source]))]);
      }
      if (doc) out.push(doc);
    }
    return out;
  }

  /** `settle` for a batch of the backfill or a rewrite: one commit where the store can. */
  private settleBatch(docs: readonly IndicatorDoc[]): Promise<IndicatorDoc[]> {
    return this.deps.inOneCommit ? this.deps.inOneCommit(() => this.settle(docs)) : this.settle(docs);
  }

  /**
   * Rewrites the bases of every claim of `memberId` for its tier now, `batch` claims at a time
   * (by id, so a claim published meanwhile is either read or settled by its own publish), then
   * marks the member done for that tier (`scoreTier`), unless its tier moved again meanwhile
   * (then the next rewrite marks it). Answers how many claims were rewritten.
   */
  async rewriteMember(memberId: string): Promise<number> {
    const [member] = await this.deps.members.findByIds([memberId]);
    let rewritten = 0;
    let after: string | null = null;
    for (;;) {
      const filter: Record<string, unknown> = after === null ? { source: memberId } : { source: memberId, _id: { $gt: after } };
      // Sorted by (source, _id): the SOURCE order's index answers the filter and the order.
      const page = await this.deps.indicators.find(filter, { sort: [['source', 1], ['_id', 1]], limit: this.batch });
      if (page.length === 0) break;
      const settled = await this.settleBatch(page);
      rewritten += settled.filter((d, i) => d !== page[i]).length;
      after = page[page.length - 1]!._id;
      if (page.length < this.batch) break;
    }
    if (member && member.scoreTier !== member.tier) await this.deps.members.update(memberId, { tier: member.tier }, { scoreTier: member.tier });
    return rewritten;
  }

  /**
   * Run at start, before serving: gives claims stored before the bases existed their bases, and
   * finishes the rewrite of every member whose claims are not yet weighed by its tier now
   * (`scoreTier` absent or different: a tier change whose rewrite was cut short, or a member
   * from before this existed). Idempotent: instances starting together write the same values.
   * Once done it costs one index seek per type and one read of the registry.
   */
  async backfill(onProgress?: (filled: number) => void): Promise<{ filled: number; members: number }> {
    let filled = 0;
    for (const field of ['scoreBase', 'scoreBaseOpen'] as const) {
      // By type: each is a seek on the index (type, <base>, lastConfirmedAt, _id).
      const lacking = { type: { $in: [...INDICATOR_TYPES] }, [field]: null };
      for (;;) {
        const page = await this.deps.indicators.find(lacking, { limit: this.batch });
        if (page.length === 0) break;
        const settled = await this.settleBatch(page);
        if (onProgress && Math.floor((filled + settled.length) / BACKFILL_PROGRESS_EVERY) > Math.floor(filled / BACKFILL_PROGRESS_EVERY)) onProgress(filled + settled.length);
        filled += settled.length;
        // A claim that could not be settled would come back forever: stop, the next start retries.
        if (settled.some((d) => d.scoreBase == null || d.scoreBaseOpen == null)) break;
      }
    }
    let members = 0;
    for (const member of await this.deps.members.list()) {
      if (member.scoreTier === member.tier) continue;
      await this.rewriteMember(member._id);
      members++;
    }
    return { filled, members };
  }
}
