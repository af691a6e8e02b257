import type { AuditCheckpoint, AuditEntry } from '../domain/types.js';
import type { AuditRepository } from '../store/ports.js';
import { checkpointProblem, entryHash, GENESIS_HASH, isAggregate } from './audit-chain.js';

/** One thing found wrong, at the chain position it concerns. */
export interface ChainProblem {
  /** The position of the first entry concerned. */
  seq: number;
  /** That entry's id, when it exists. */
  id: string | null;
  message: string;
}

/** What `hub audit verify` reports. */
export interface ChainReport {
  ok: boolean;
  /** Entries read, chained or not. */
  entries: number;
  /** Entries written before the chain existed (no hash), all before the first chained one. */
  unchained: number;
  /** Refused-login aggregates among them (their count and lastAt are not chained: docs/audit.md). */
  aggregates: number;
  head: { seq: number; hash: string } | null;
  checkpoints: number;
  latestCheckpoint: { seq: number; at: Date } | null;
  /** Every problem, by position; the first is "the first bad entry". */
  problems: ChainProblem[];
}

/** Entries read per store call. */
const PAGE = 1_000;

/**
 * Recomputes the audit chain from the store: every entry's hash from its content, every link
 * to the entry before it, consecutive positions, and every checkpoint's signature and the entry
 * it names. An entry edited, removed or reordered breaks a hash, a link or a position; entries
 * removed from the end, or a chain rewritten with fresh hashes, break the checkpoints signed over
 * them (entries written after the last checkpoint have only the chain: at most a minute's worth).
 * `keys` are the hub's public keys by id.
 */
export async function verifyAuditChain(audit: AuditRepository, keys: ReadonlyMap<string, CryptoKey>): Promise<ChainReport> {
  const problems: ChainProblem[] = [];
  const checkpoints = (await audit.checkpoints()).reverse();
  const signedAt = new Map<number, AuditCheckpoint[]>();
  for (const c of checkpoints) signedAt.set(c.seq, [...(signedAt.get(c.seq) ?? []), c]);
  const hashAt = new Map<number, { id: string; hash: string | undefined }>();

  let entries = 0;
  let unchained = 0;
  let aggregates = 0;
  let previous: AuditEntry | null = null;
  let chained = false;
  for (let after = -Infinity; ; ) {
    const page = await audit.find(after === -Infinity ? {} : { seq: { $gt: after } }, { sort: [['seq', 1]], limit: PAGE });
    for (const entry of page) {
      entries++;
      const problem = (message: string) => problems.push({ seq: entry.seq, id: entry._id, message });
      if (signedAt.has(entry.seq)) hashAt.set(entry.seq, { id: entry._id, hash: entry.hash });
      if (entry.hash === undefined && entry.prevHash === undefined && !chained) {
        // Written before the chain existed: only positions are checked.
        unchained++;
        if (previous && entry.seq <= previous.seq) problem(`position ${entry.seq} is held twice`);
        previous = entry;
        continue;
      }
      const expectedSeq = previous ? previous.seq + 1 : 1;
      if (entry.seq !== expectedSeq) {
        problem(
          entry.seq > expectedSeq
            ? `entries at positions ${expectedSeq}..${entry.seq - 1} are missing (removed?) before entry ${entry._id}`
            : `position ${entry.seq} is held twice (entry ${entry._id})`,
        );
      }
      const expectedPrev = chained ? previous!.hash : GENESIS_HASH;
      if (entry.prevHash !== expectedPrev) {
        problem(`entry ${entry._id} does not link to the entry before it (prevHash ${short(entry.prevHash)}, expected ${short(expectedPrev)}): one was removed, inserted or reordered`);
      }
      if (entry.hash !== entryHash(entry)) problem(`entry ${entry._id} was altered: its hash does not match its content`);
      if (isAggregate(entry)) {
        aggregates++;
        const why = aggregateProblem(entry);
        if (why) problem(`refused-login aggregate ${entry._id}: ${why}`);
      }
      chained = true;
      previous = entry;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }

  for (const checkpoint of checkpoints) {
    const problem = (message: string) => problems.push({ seq: checkpoint.seq, id: hashAt.get(checkpoint.seq)?.id ?? null, message });
    const bad = await checkpointProblem(checkpoint, keys);
    if (bad) {
      problem(`checkpoint ${checkpoint._id} (position ${checkpoint.seq}, ${checkpoint.at.toISOString()}): ${bad}`);
      continue;
    }
    const signed = hashAt.get(checkpoint.seq);
    if (!signed) problem(`the entry at position ${checkpoint.seq}, signed by checkpoint ${checkpoint._id}, is missing (removed?)`);
    else if (signed.hash !== checkpoint.headHash) problem(`entry ${signed.id} at position ${checkpoint.seq} is not the entry checkpoint ${checkpoint._id} signed (altered, or the chain was rewritten)`);
  }

  problems.sort((a, b) => a.seq - b.seq);
  const last = checkpoints[checkpoints.length - 1];
  return {
    ok: problems.length === 0,
    entries,
    unchained,
    aggregates,
    head: previous?.hash ? { seq: previous.seq, hash: previous.hash } : null,
    checkpoints: checkpoints.length,
    latestCheckpoint: last ? { seq: last.seq, at: last.at } : null,
    problems,
  };
}

/** The unchained fields of an aggregate must still be a count and an instant in its minute. */
function aggregateProblem(entry: AuditEntry): string | null {
  const { count, lastAt, firstAt, minute } = entry.details;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) return 'details.count is not a count of at least one';
  if (typeof lastAt !== 'string' || typeof minute !== 'string') return 'details.lastAt or details.minute is missing';
  const last = Date.parse(lastAt);
  const start = Date.parse(minute);
  const first = typeof firstAt === 'string' ? Date.parse(firstAt) : start;
  if (!(last >= first && last < start + 60_000)) return 'details.lastAt is outside its minute';
  return null;
}

const short = (hash: string | undefined): string => (hash ? `${hash.slice(0, 12)}…` : 'none');
