/**
 * The audit log's hash chain: what each entry's `hash` covers and how checkpoints are signed and
 * checked. Pure functions, shared by the writer (AuditService), the checkpointer, the verifier
 * (`hub audit verify`) and anyone checking an `auditLog` answer by hand (docs/audit.md).
 *
 * The chain is the model of Certificate Transparency's logs, kept small: one total order (`seq`),
 * each entry naming its predecessor's hash, and the head signed by the hub at least once a minute.
 */
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { stringify } from 'safe-stable-stringify';
import type { AuditCheckpoint, AuditEntry, AuditJson } from '../domain/types.js';

/** `prevHash` of the first chained entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The version of the canonical form, inside every hashed document and checkpoint payload. */
export const CHAIN_VERSION = 1;

/**
 * The fields of an aggregate entry (LOGIN_FAILED) that change after it is written
 * (`AuditRepository.incrementCount`), and so are left out of its hash. Why not chain each count
 * instead: the aggregate exists so that the log grows with what members do, not with what
 * anonymous callers send; an entry per refused credential would undo that. What the chain covers
 * of an aggregate is everything else: that refusals of this reason, for this member, happened in
 * this minute, and what the first one claimed. The tally is not covered, and docs/audit.md says so;
 * the verifier still checks that it is a count of at least one and that `lastAt` lies in the minute.
 */
export const UNCHAINED_AGGREGATE_FIELDS = ['count', 'lastAt'] as const;

/**
 * The canonical form of an entry: exactly these fields, keys sorted (safe-stable-stringify),
 * `at` as an ISO string, absent optional fields as null. Named fields rather than "everything
 * but the hash", so that every adapter hashes the same thing whatever it adds for its own use.
 */
export function canonicalEntry(entry: AuditEntry): string {
  return stringify({
    v: CHAIN_VERSION,
    _id: entry._id,
    seq: entry.seq,
    memberSeq: entry.memberSeq ?? null,
    at: entry.at.toISOString(),
    action: entry.action,
    actor: entry.actor ? { memberId: entry.actor.memberId, userId: entry.actor.userId } : null,
    memberId: entry.memberId,
    target: entry.target ? { kind: entry.target.kind, id: entry.target.id } : null,
    summary: entry.summary,
    details: chainedDetails(entry),
    prevHash: entry.prevHash ?? null,
  })!;
}

/** SHA-256, lowercase hex, of the canonical form. */
export function entryHash(entry: AuditEntry): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** Whether the entry is a refused-login aggregate (its count and lastAt are not chained). */
export function isAggregate(entry: Pick<AuditEntry, 'action' | 'details'>): boolean {
  return entry.action === 'LOGIN_FAILED' && typeof entry.details.count === 'number';
}

function chainedDetails(entry: AuditEntry): Record<string, AuditJson> {
  if (!isAggregate(entry)) return entry.details;
  const details = { ...entry.details };
  for (const field of UNCHAINED_AGGREGATE_FIELDS) delete details[field];
  return details;
}

/** What a checkpoint's JWS signs: canonical JSON of `{v, seq, headHash, at}`. */
export function checkpointPayload(seq: number, headHash: string, at: Date): string {
  return stringify({ v: CHAIN_VERSION, seq, headHash, at: at.toISOString() })!;
}

/** Ids sort by position, then time (fixed widths). */
export function checkpointId(seq: number, at: Date): string {
  return `audit-checkpoint--${String(seq).padStart(12, '0')}--${String(at.getTime()).padStart(15, '0')}`;
}

/** The hub's key as the checkpointer needs it. */
export interface ChainSigner {
  signingKey: CryptoKey;
  kid: string;
}

/** Signs the head `(seq, headHash)` as of `at`. */
export async function signCheckpoint(signer: ChainSigner, seq: number, headHash: string, at: Date): Promise<AuditCheckpoint> {
  const jws = await new CompactSign(new TextEncoder().encode(checkpointPayload(seq, headHash, at)))
    .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'hub-audit-checkpoint' })
    .sign(signer.signingKey);
  return { _id: checkpointId(seq, at), seq, headHash, at, kid: signer.kid, jws };
}

/**
 * Why a checkpoint does not hold, or null when it does: its signature verifies with `verifyKey`
 * (whose id is `kid`), and the signed payload is exactly its stored position, hash and time.
 */
export async function checkpointProblem(checkpoint: AuditCheckpoint, keys: ReadonlyMap<string, CryptoKey>): Promise<string | null> {
  const key = keys.get(checkpoint.kid);
  if (!key) return `signed with key ${checkpoint.kid}, which is not the hub's key`;
  let payload: string;
  try {
    const verified = await compactVerify(checkpoint.jws, key, { algorithms: ['EdDSA'] });
    if (verified.protectedHeader.kid !== checkpoint.kid) return 'its signature names another key';
    payload = new TextDecoder().decode(verified.payload);
  } catch {
    return 'its signature does not verify';
  }
  if (payload !== checkpointPayload(checkpoint.seq, checkpoint.headHash, checkpoint.at)) return 'its stored position, hash or time differ from what was signed';
  return null;
}
