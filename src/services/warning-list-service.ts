import { randomUUID } from 'node:crypto';
import { TLPS, type IndicatorType, type Tlp } from '../domain/types.js';
import { MAX_WARNING_LISTS_LISTED, MEMBER_WARNING_LIST_ID_PREFIX, MEMBER_WARNING_LIST_LIMITS, VENDORED_WARNING_LIST_ID_PREFIX, type MemberWarningListDoc } from '../domain/member-warning-list.js';
import { RECORD_LIMITS } from '../domain/record-limits.js';
import { badInput, forbidden, hubError } from '../errors.js';
import { assertRole, ownsRecord, type Viewer } from '../policy/policy.js';
import type { SequenceRepository, WarningListRepository } from '../store/ports.js';
import { clip } from '../util/clip.js';
import { entryProblem } from '../warninglists/entry-problem.js';
import type { MemberWarningLists } from '../warninglists/member-warning-lists.js';
import { typesAListMatches } from '../warninglists/types-a-list-matches.js';
import { WARNING_LIST_TYPES, type WarningList, type WarningListCategory, type WarningListType } from '../warninglists/warning-list.js';
import type { WarningListSet } from '../warninglists/warning-list-set.js';
import type { AuditService } from './audit-service.js';
import { unknownRecipientMessage, type CommunityService } from './community-service.js';

/** `publishWarningList`'s input, as the service takes it (lower-case list type and category). */
export interface WarningListInput {
  name: string;
  type: WarningListType;
  entries: readonly string[];
  tlp: Tlp;
  recipients?: readonly string[] | null;
  category?: WarningListCategory | null;
  indicatorTypes?: readonly IndicatorType[] | null;
  description?: string | null;
}

/** A list as `warningLists` shows it: a vendored one (no owner, no TLP) or a member's. */
export type WarningListView =
  | { kind: 'vendored'; id: string; list: WarningList }
  | { kind: 'member'; id: string; doc: MemberWarningListDoc };

export interface WarningListServiceDeps {
  lists: WarningListRepository;
  sequences: SequenceRepository;
  /** Which recipients a publisher may name (members, and its own communities): as for indicators. */
  communities: Pick<CommunityService, 'knownRecipients'>;
  audit: Pick<AuditService, 'warningListPublished' | 'warningListRevoked'>;
  /** The lists in force, per viewer (updated here at once on every write). */
  inForce: MemberWarningLists;
  /** The hub's vendored lists, listed first. */
  vendored: WarningListSet;
  /** Told of every write (published, replaced, revoked; `before`: the list as it was, null for a new one), after it is stored; default nothing. */
  onChanged?: (doc: MemberWarningListDoc, before: MemberWarningListDoc | null) => Promise<void> | void;
  now?: () => Date;
  randomUUID?: () => string;
}

/**
 * Members' own warning lists (issue 16, item 4): publishing (a name used before replaces that
 * list as a new version), revoking, and reading them under the policy (`warningListVisibility`).
 * Matching is MemberWarningLists' job; this is the records' lifecycle.
 */
export class WarningListService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: WarningListServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  /** The vendored lists, then the members' lists the viewer may see (revoked ones included), at most MAX_WARNING_LISTS_LISTED. */
  async list(viewer: Viewer): Promise<WarningListView[]> {
    await this.deps.inForce.fresh();
    const vendored = this.deps.vendored.lists.map((list): WarningListView => ({ kind: 'vendored', id: `${VENDORED_WARNING_LIST_ID_PREFIX}${list.name}`, list }));
    const members = this.deps.inForce.visibleDocs(viewer).map((doc): WarningListView => ({ kind: 'member', id: doc._id, doc }));
    return [...vendored, ...members].slice(0, MAX_WARNING_LISTS_LISTED);
  }

  /** One list by id, or null when it does not exist or the viewer may not see it (the two alike). */
  async get(viewer: Viewer, id: string): Promise<WarningListView | null> {
    if (id.startsWith(VENDORED_WARNING_LIST_ID_PREFIX)) {
      const list = this.deps.vendored.lists.find((l) => `${VENDORED_WARNING_LIST_ID_PREFIX}${l.name}` === id);
      return list ? { kind: 'vendored', id, list } : null;
    }
    if (!id.startsWith(MEMBER_WARNING_LIST_ID_PREFIX)) return null;
    await this.deps.inForce.fresh();
    const doc = this.deps.inForce.visibleDoc(viewer, id);
    return doc ? { kind: 'member', id, doc } : null;
  }

  /** Publishes the viewer's list, or replaces its list of that name (version + 1); audited. */
  async publish(viewer: Viewer, input: WarningListInput): Promise<MemberWarningListDoc> {
    assertRole(viewer, 'publisher');
    const valid = await this.validate(viewer.memberId, input);
    // A concurrent publish of the same name may win the write: read again and retry, a few times.
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.deps.lists.byName(viewer.memberId, valid.name);
      if ((!existing || existing.revoked) && (await this.deps.lists.countActive(viewer.memberId)) >= MEMBER_WARNING_LIST_LIMITS.listsPerMember) {
        throw badInput(`a member keeps at most ${MEMBER_WARNING_LIST_LIMITS.listsPerMember} lists in force: revoke one, or publish under a name in use to replace it`, 'input.name');
      }
      const now = this.now();
      const seq = await this.deps.sequences.next('warningLists');
      const doc: MemberWarningListDoc = {
        _id: existing?._id ?? `${MEMBER_WARNING_LIST_ID_PREFIX}${this.uuid()}`,
        source: viewer.memberId,
        ...valid,
        version: (existing?.version ?? 0) + 1,
        revoked: false,
        revokedReason: null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
        seq,
      };
      const written = existing ? await this.deps.lists.replace(doc, existing.seq) : await this.deps.lists.insert(doc);
      if (!written) continue;
      this.deps.inForce.applied(doc);
      await this.deps.audit.warningListPublished(viewer, doc);
      await this.deps.onChanged?.(doc, existing);
      return doc;
    }
    throw hubError('IDEMPOTENCY_CONFLICT', 'this list is being published concurrently; retry shortly', 'input.name');
  }

  /** Revokes one of the viewer's own lists (it stops applying at once); revoking twice keeps the first reason. */
  async revoke(viewer: Viewer, id: string, reason: string): Promise<MemberWarningListDoc> {
    assertRole(viewer, 'publisher');
    const text = reason.trim();
    if (text.length < 1 || text.length > RECORD_LIMITS.revokedReason) throw badInput(`reason must be 1 to ${RECORD_LIMITS.revokedReason} characters`, 'reason');
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await this.get(viewer, id);
      if (!found || found.kind !== 'member') {
        if (found) throw forbidden("the hub's vendored lists cannot be revoked");
        throw hubError('NOT_FOUND', `no warning list with id "${clip(id)}"`, 'id');
      }
      // Read again from the store: the compare-and-set needs the current seq.
      const doc = await this.deps.lists.get(id);
      if (!doc) throw hubError('NOT_FOUND', `no warning list with id "${clip(id)}"`, 'id');
      if (!ownsRecord(viewer, doc)) throw forbidden('only the member that published a warning list can revoke it');
      if (doc.revoked) return doc;
      const revoked: MemberWarningListDoc = { ...doc, revoked: true, revokedReason: text, updatedAt: this.now(), seq: await this.deps.sequences.next('warningLists') };
      if (!(await this.deps.lists.replace(revoked, doc.seq))) continue;
      this.deps.inForce.applied(revoked);
      await this.deps.audit.warningListRevoked(viewer, id, text);
      await this.deps.onChanged?.(revoked, doc);
      return revoked;
    }
    throw hubError('IDEMPOTENCY_CONFLICT', 'this list is being changed concurrently; retry shortly', 'id');
  }

  /** The input checked and normalised, or BAD_USER_INPUT naming the field (an entry by its index). */
  private async validate(source: string, input: WarningListInput): Promise<Omit<MemberWarningListDoc, '_id' | 'source' | 'version' | 'revoked' | 'revokedReason' | 'createdAt' | 'updatedAt' | 'seq'>> {
    const L = MEMBER_WARNING_LIST_LIMITS;
    const name = input.name.trim();
    if (name.length < 1 || name.length > L.nameChars) throw badInput(`name must be 1 to ${L.nameChars} characters`, 'input.name');
    if (!WARNING_LIST_TYPES.includes(input.type)) throw badInput(`type must be one of ${WARNING_LIST_TYPES.join(', ')}`, 'input.type');
    if (input.entries.length < 1 || input.entries.length > L.entries) throw badInput(`a list holds 1 to ${L.entries} entries (got ${input.entries.length})`, 'input.entries');
    // Each pattern runs against every value its viewers publish and read: fewer of them than of other entries.
    if (input.type === 'regex' && input.entries.length > L.regexEntries) throw badInput(`a REGEX list holds at most ${L.regexEntries} patterns (got ${input.entries.length}); a STRING, SUBSTRING or HOSTNAME list holds more`, 'input.entries');
    const entries: string[] = [];
    const seen = new Set<string>();
    input.entries.forEach((raw, i) => {
      if (raw.length > L.entryChars) throw badInput(`entry ${i} is longer than ${L.entryChars} characters`, `input.entries.${i}`);
      const problem = entryProblem(input.type, raw);
      if (problem) throw badInput(`entry ${i} is not valid for a ${input.type.toUpperCase()} list: ${problem}`, `input.entries.${i}`);
      const entry = raw.trim();
      if (!seen.has(entry)) entries.push(entry);
      seen.add(entry);
    });
    const possible = typesAListMatches(input.type);
    const indicatorTypes = input.indicatorTypes?.length ? [...new Set(input.indicatorTypes)] : [...possible];
    const impossible = indicatorTypes.find((t) => !possible.includes(t));
    if (impossible) throw badInput(`a ${input.type.toUpperCase()} list cannot match ${impossible} indicators; it can match ${possible.join(', ')}`, 'input.indicatorTypes');
    const description = input.description?.trim() || null;
    if (description && description.length > L.descriptionChars) throw badInput(`description must be at most ${L.descriptionChars} characters`, 'input.description');
    if (!TLPS.includes(input.tlp)) throw badInput(`tlp must be one of ${TLPS.join(', ')}`, 'input.tlp');
    // TLP and recipients exactly as an indicator's (IndicatorService.toUpsert): RED names its recipients, nothing else does.
    const recipients = [...new Set(input.recipients ?? [])];
    if (recipients.length > L.recipients) throw badInput(`at most ${L.recipients} recipients (got ${recipients.length})`, 'input.recipients');
    if (input.tlp === 'RED' && recipients.length === 0) throw badInput('TLP:RED needs a non-empty recipients list of member or community ids', 'input.recipients');
    if (input.tlp !== 'RED' && recipients.length > 0) throw badInput(`recipients apply only to TLP:RED; a TLP:${input.tlp} list is shared by tier`, 'input.recipients');
    if (recipients.length) {
      const known = await this.deps.communities.knownRecipients(source, recipients);
      const unknown = recipients.find((r) => !known.has(r));
      if (unknown !== undefined) throw badInput(unknownRecipientMessage(clip(unknown)), 'input.recipients');
    }
    return { name, type: input.type, category: input.category ?? 'false_positive', indicatorTypes, entries, description, tlp: input.tlp, recipients };
  }
}
