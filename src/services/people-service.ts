import { randomUUID } from 'node:crypto';
import {
  EMAIL_FORMAT,
  MAX_DISPLAY_NAME_CHARS,
  MAX_EMAIL_CHARS,
  MAX_IDENTITIES_PER_PERSON,
  PERSON_ID_FORMAT,
  PersonConflictError,
  sameIdentity,
  type PersonDoc,
  type PersonIdentity,
} from '../domain/person.js';
import { ROLES, type ApprovalRequestDoc, type Member, type Role } from '../domain/types.js';
import { badInput, forbidden, hubError, unauthenticated } from '../errors.js';
import {
  addPersonRolesProblem,
  canAdministerMember,
  canAdministerPerson,
  identityLinkNeedsApproval,
  isSamePerson,
  mayChangeRole,
  memberRefusal,
  peopleScope,
  type Viewer,
} from '../policy/policy.js';
import type { PersonRepository } from '../store/ports.js';
import { clip } from '../util/clip.js';
import type { AuditService } from './audit-service.js';
import type { IdentityService } from './identity-service.js';
import type { MemberService } from './member-service.js';

/** People one `people` answer lists at most (the cost analysis counts `Query.people` by it). */
export const MAX_PEOPLE_LISTED = 1_000;
/** Longest subject accepted for a linked identity. */
const MAX_SUBJECT_CHARS = 256;
const MAX_REASON = 1_000;
/** People of one member that offboarding removes in one sweep (far above what a member holds). */
const MAX_PEOPLE_SWEPT = 1_000_000;
/** Compare-and-set attempts before a write gives up on a person others keep writing. */
const CAS_ATTEMPTS = 5;

type MemberViewer = Extract<Viewer, { kind: 'member' }>;

/** The two-person requests PeopleService hands on (ApprovalService implements them). */
export interface PersonApprovals {
  /** Records a LINK_IDENTITY request, checked by PeopleService already. */
  requestIdentityLink(viewer: MemberViewer, person: PersonDoc, identity: PersonIdentity, reason: string): Promise<ApprovalRequestDoc>;
}

export interface PeopleServiceDeps {
  people: PersonRepository;
  members: MemberService;
  /** Which member holds an issuer (identities are linked only from the person's own member's providers). */
  identity: Pick<IdentityService, 'findByIssuer'>;
  audit: AuditService;
  /**
   * Where a two-person identity link goes. A getter, because ApprovalService itself needs this
   * service to apply approved changes. Without it, links that need a second person are refused.
   */
  approvals?: () => PersonApprovals;
  /** Told when a person changes (roles, identities, status): the member's live connections are re-checked. Must not throw. */
  onPersonChanged?: (memberId: string) => void;
  now?: () => Date;
  /** Makes the UUIDs of generated person ids. Default `crypto.randomUUID`. */
  randomUUID?: () => string;
}

/** What a member-admin sends to add a person (GraphQL `AddPersonInput`). */
export interface AddPersonInput {
  memberId: string;
  /** Default: a generated `person--<uuid>`. */
  id?: string | null;
  displayName: string;
  email: string;
  /** Role names as GraphQL sends them; reader and publisher only. Default `['reader']`. */
  roles?: readonly string[] | null;
}

/**
 * What the hub itself seeds, with no viewer: the demo's people, the CLI's `init`, test fixtures.
 * Not reachable from the API.
 */
export interface SeedPersonInput {
  id: string;
  memberId: string;
  /** Any roles: they are still capped by the member's allowedRoles on every request. */
  roles: readonly Role[];
  displayName?: string;
  email?: string;
  identities?: readonly PersonIdentity[];
}

/** What a viewer learns when it links an identity: the person, and the request when a second person must agree. */
export interface LinkOutcome {
  person: PersonDoc;
  request: ApprovalRequestDoc | null;
}

/**
 * People: who acts for each member, with which roles, under which identities. Adding people
 * and restricting them (revoking a role, unlinking an identity, removing a person) apply at
 * once; raising them (roles beyond reader and publisher, identities of a privileged person) go
 * through ApprovalService. Every change is audited and re-checks the member's live connections.
 */
export class PeopleService {
  private readonly now: () => Date;
  private readonly uuid: () => string;

  constructor(private readonly deps: PeopleServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.uuid = deps.randomUUID ?? randomUUID;
  }

  /** A person by id, for the authenticator and loaders (no viewer: the caller decides what to show). */
  get(id: string): Promise<PersonDoc | null> {
    return this.deps.people.get(id);
  }

  getMany(ids: readonly string[]): Promise<PersonDoc[]> {
    return ids.length ? this.deps.people.getMany(ids) : Promise.resolve([]);
  }

  /** The person holding a member identity provider's `(issuer, subject)`, for the authenticator. */
  findByIdentity(issuer: string, subject: string): Promise<PersonDoc | null> {
    return this.deps.people.findByIdentity(issuer, subject);
  }

  /** The people a viewer may list (`peopleScope`), by id, at most MAX_PEOPLE_LISTED. */
  list(viewer: Viewer, memberId?: string | null): Promise<PersonDoc[]> {
    return this.deps.people.list(peopleScope(viewer, memberId), MAX_PEOPLE_LISTED);
  }

  /** A person the viewer administers, or null (for `Person` lookups). */
  async visible(viewer: Viewer, id: string): Promise<PersonDoc | null> {
    const person = await this.deps.people.get(id);
    return person && canAdministerPerson(viewer, person) ? person : null;
  }

  /**
   * Adds a person with reader and/or publisher (member-admin of the member, or hub-admin).
   * BAD_USER_INPUT names the field: an id taken or malformed, an email or display name that is
   * not one, a role beyond reader and publisher or not allowed to the member, a member that is
   * unknown or not ACTIVE (PENDING, SUSPENDED, OFFBOARDED: `memberRefusal`).
   */
  async add(viewer: Viewer, input: AddPersonInput): Promise<PersonDoc> {
    const actor = asAdministrator(viewer, input.memberId);
    const member = await this.activeMember(input.memberId);
    const roles = input.roles ?? ['reader'];
    const problem = addPersonRolesProblem(roles, member.allowedRoles);
    if (problem) throw badInput(problem, 'roles');
    const id = input.id ?? `person--${this.uuid()}`;
    if (!PERSON_ID_FORMAT.test(id)) {
      throw badInput('A person id is 1 to 128 letters, digits and . _ @ -, starting with a letter or digit (never #, the form of federated identities)', 'id');
    }
    const now = this.now();
    const doc: PersonDoc = {
      _id: id,
      memberId: member._id,
      displayName: displayName(input.displayName),
      email: email(input.email),
      roles: ROLES.filter((r) => roles.includes(r)),
      status: 'ACTIVE',
      identities: [],
      createdAt: now,
      updatedAt: now,
      createdBy: { memberId: actor.memberId, userId: actor.userId },
      version: 1,
    };
    try {
      await this.deps.people.insert(doc);
    } catch (err) {
      if (err instanceof PersonConflictError) throw badInput('This person id is taken: person ids are unique across the hub', 'id');
      throw err;
    }
    await this.deps.audit.personChanged('PERSON_ADDED', actor, doc, `added person ${doc._id} to ${doc.memberId} (roles: ${doc.roles.join(', ')})`, { roles: [...doc.roles] });
    return doc;
  }

  /**
   * Creates a person, or gives an existing one of the same member the roles and identities it
   * lacks (its status unchanged; a removed person is refused), for the hub itself: the demo seed, the CLI's `init` and test
   * fixtures. Audited with no actor (`details.seeded`). Throws when the id belongs to another member.
   */
  async seed(input: SeedPersonInput): Promise<PersonDoc> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.deps.people.get(input.id);
      const now = this.now();
      if (!current) {
        const doc: PersonDoc = {
          _id: input.id,
          memberId: input.memberId,
          displayName: input.displayName ?? input.id,
          email: input.email ?? '',
          roles: ROLES.filter((r) => input.roles.includes(r)),
          status: 'ACTIVE',
          identities: (input.identities ?? []).map((i) => ({ issuer: i.issuer, subject: i.subject })),
          createdAt: now,
          updatedAt: now,
          createdBy: null,
          version: 1,
        };
        try {
          await this.deps.people.insert(doc);
        } catch (err) {
          if (err instanceof PersonConflictError && err.what === 'id') continue; // seeded meanwhile: merge instead
          throw err;
        }
        await this.deps.audit.personChanged('PERSON_ADDED', null, doc, `seeded person ${doc._id} of ${doc.memberId} (roles: ${doc.roles.join(', ')})`, { roles: [...doc.roles], seeded: true });
        return doc;
      }
      if (current.memberId !== input.memberId) throw new Error(`person ${input.id} belongs to member ${current.memberId}, not ${input.memberId}`);
      if (current.status === 'REMOVED') throw new Error(`person ${input.id} was removed`);
      const roles = ROLES.filter((r) => current.roles.includes(r) || input.roles.includes(r));
      const identities = [...current.identities, ...(input.identities ?? []).filter((i) => !current.identities.some((c) => sameIdentity(c, i)))];
      if (roles.length === current.roles.length && identities.length === current.identities.length) return current;
      const updated = await this.deps.people.update({ ...current, roles, identities, updatedAt: now }, current.version);
      if (!updated) continue;
      const added = roles.filter((r) => !current.roles.includes(r));
      await this.deps.audit.personChanged('ROLE_GRANTED', null, updated, `seeded roles of person ${updated._id}: ${roles.join(', ')}`, { roles: [...roles], added, seeded: true });
      this.deps.onPersonChanged?.(updated.memberId);
      return updated;
    }
    throw new Error(`person ${input.id} kept changing while it was seeded`);
  }

  /**
   * Creates a reader-only person for an unlinked identity of a member's identity provider
   * (`HUB_JIT_PEOPLE=true`), audited PERSON_ADDED with `details.jit`. When two first requests
   * race, both get the one person the identity is linked to.
   */
  async provisionJustInTime(memberId: string, issuer: string, subject: string): Promise<PersonDoc> {
    const now = this.now();
    const doc: PersonDoc = {
      _id: `person--${this.uuid()}`,
      memberId,
      displayName: clip(subject, MAX_DISPLAY_NAME_CHARS),
      email: '',
      roles: ['reader'],
      status: 'ACTIVE',
      identities: [{ issuer, subject }],
      createdAt: now,
      updatedAt: now,
      createdBy: null,
      version: 1,
    };
    try {
      await this.deps.people.insert(doc);
    } catch (err) {
      const linked = err instanceof PersonConflictError ? await this.deps.people.findByIdentity(issuer, subject) : null;
      if (linked) return linked;
      throw err;
    }
    await this.deps.audit.personChanged('PERSON_ADDED', null, doc, `provisioned person ${doc._id} of ${memberId} just in time for an identity of ${clip(issuer, 200)} (roles: reader)`, {
      roles: ['reader'],
      jit: true,
      identity: { issuer: clip(issuer, 200), subject: clip(subject, 200) },
    });
    return doc;
  }

  /**
   * Checks a request to grant `role` to a person and returns the person as found (ApprovalService
   * records the request). FORBIDDEN unless the viewer may change that role (`mayChangeRole`);
   * NOT_FOUND for a person that does not exist or that the viewer does not administer (the same
   * answer); BAD_USER_INPUT (`role`) for a role the person holds or its member is not allowed.
   */
  async prepareRoleGrant(viewer: Viewer, personId: string, role: string): Promise<PersonDoc> {
    const actor = asMember(viewer);
    const wanted = roleName(role);
    const person = await this.administered(actor, personId);
    if (!mayChangeRole(actor, person.memberId, wanted)) throw forbidden(`Only a hub-admin may ask for the ${wanted} role`);
    assertActive(person);
    if (person.roles.includes(wanted)) throw badInput(`The person already holds ${wanted}`, 'role');
    const member = await this.activeMember(person.memberId);
    if (!member.allowedRoles.includes(wanted)) throw badInput(`The hub does not allow member ${member._id} the role ${wanted}`, 'role');
    return person;
  }

  /**
   * Applies an approved role grant if the person is still as the request found it (ACTIVE, in
   * the same member, without the role) and the member is still allowed the role; null otherwise.
   */
  async applyRoleGrant(personId: string, role: Role, expected: { memberId: string }): Promise<{ before: Role[]; after: PersonDoc } | null> {
    const member = await this.deps.members.get(expected.memberId);
    // A member suspended or offboarded since the request takes no new roles (`memberRefusal`).
    if (!member || memberRefusal(member) !== null || !member.allowedRoles.includes(role)) return null;
    const after = await this.change(personId, (p) => {
      if (p.memberId !== expected.memberId || p.status !== 'ACTIVE' || p.roles.includes(role)) return null;
      return { roles: ROLES.filter((r) => r === role || p.roles.includes(r)) };
    });
    return after && { before: after.before.roles, after: after.after };
  }

  /** Revokes a role at once (restricting is never two-person); audited ROLE_REVOKED. */
  async revokeRole(viewer: Viewer, personId: string, role: string, reason: string): Promise<PersonDoc> {
    const actor = asMember(viewer);
    const wanted = roleName(role);
    requiredReason(reason);
    const person = await this.administered(actor, personId);
    if (!mayChangeRole(actor, person.memberId, wanted)) throw forbidden(`Only a hub-admin may revoke the ${wanted} role`);
    if (!person.roles.includes(wanted)) throw badInput(`The person does not hold ${wanted}`, 'role');
    const changed = await this.change(personId, (p) => (p.roles.includes(wanted) ? { roles: p.roles.filter((r) => r !== wanted) } : null));
    const after = changed?.after ?? (await this.deps.people.get(personId))!;
    if (changed) {
      await this.deps.audit.personChanged('ROLE_REVOKED', actor, after, `revoked ${wanted} from person ${after._id}`, { role: wanted });
    }
    return after;
  }

  /**
   * Links an identity of one of the person's member's identity providers to the person: at once
   * for a person holding reader or publisher only; a LINK_IDENTITY request, decided by another
   * person, when it holds a PRIVILEGED_ROLES role (whoever links an identity can act as its
   * person). Returns the person as it is now and the request, if one was made.
   */
  async linkIdentity(viewer: Viewer, personId: string, issuer: string, subject: string, reason?: string | null): Promise<LinkOutcome> {
    const actor = asMember(viewer);
    const person = await this.administered(actor, personId);
    const identity = await this.checkLink(actor, person, issuer, subject);
    if (identityLinkNeedsApproval(person)) {
      if (!this.deps.approvals) throw forbidden('This hub cannot take two-person requests');
      const text = reason?.trim() ? requiredReason(reason) : `link an identity of ${clip(issuer, 200)} to ${person._id}`;
      return { person, request: await this.deps.approvals().requestIdentityLink(actor, person, identity, text) };
    }
    const changed = await this.applyIdentityLink(person._id, identity, { memberId: person.memberId }, false);
    if (!changed) throw hubError('INVALID_TRANSITION', 'The person changed meanwhile (a role, its status or its identities): try again', 'personId');
    await this.deps.audit.personChanged('IDENTITY_LINKED', actor, changed.after, `linked an identity of ${clip(issuer, 200)} to person ${person._id}`, {
      identity: { issuer: clip(issuer, 200), subject: clip(subject, 200) },
    });
    return { person: changed.after, request: null };
  }

  /**
   * Applies a link if the person is still ACTIVE in the same member, the issuer still belongs to
   * that member and the identity is still free; with `approved` false (a link made at once), also
   * only while the person holds no privileged role. Null otherwise.
   */
  async applyIdentityLink(personId: string, identity: PersonIdentity, expected: { memberId: string }, approved = true): Promise<{ before: PersonIdentity[]; after: PersonDoc } | null> {
    const provider = await this.deps.identity.findByIssuer(identity.issuer);
    if (!provider || provider.memberId !== expected.memberId) return null;
    const holder = await this.deps.people.findByIdentity(identity.issuer, identity.subject);
    if (holder) return null;
    try {
      const changed = await this.change(personId, (p) => {
        if (p.memberId !== expected.memberId || p.status !== 'ACTIVE' || p.identities.some((i) => sameIdentity(i, identity))) return null;
        if (!approved && identityLinkNeedsApproval(p)) return null;
        if (p.identities.length >= MAX_IDENTITIES_PER_PERSON) return null;
        return { identities: [...p.identities, { issuer: identity.issuer, subject: identity.subject }] };
      });
      return changed && { before: changed.before.identities, after: changed.after };
    } catch (err) {
      if (err instanceof PersonConflictError) return null; // linked to someone else meanwhile
      throw err;
    }
  }

  /** Unlinks an identity at once; audited IDENTITY_UNLINKED. NOT_FOUND (`subject`) when the person does not hold it. */
  async unlinkIdentity(viewer: Viewer, personId: string, issuer: string, subject: string, reason: string): Promise<PersonDoc> {
    const actor = asMember(viewer);
    requiredReason(reason);
    const person = await this.administered(actor, personId);
    const identity = { issuer, subject };
    if (!person.identities.some((i) => sameIdentity(i, identity))) throw hubError('NOT_FOUND', 'The person has no such identity', 'subject');
    const changed = await this.change(personId, (p) =>
      p.identities.some((i) => sameIdentity(i, identity)) ? { identities: p.identities.filter((i) => !sameIdentity(i, identity)) } : null,
    );
    const after = changed?.after ?? (await this.deps.people.get(personId))!;
    if (changed) {
      await this.deps.audit.personChanged('IDENTITY_UNLINKED', actor, after, `unlinked an identity of ${clip(issuer, 200)} from person ${after._id}`, {
        identity: { issuer: clip(issuer, 200), subject: clip(subject, 200) },
      });
    }
    return after;
  }

  /**
   * Removes a person at once: every credential of theirs is refused from the next request, and
   * their identities stay linked to the removed person, so that just-in-time provisioning cannot
   * bring them back as someone new. A hub-admin is removed by a hub-admin only; nobody removes
   * themselves. Audited PERSON_REMOVED.
   */
  async removePerson(viewer: Viewer, personId: string, reason: string): Promise<PersonDoc> {
    const actor = asMember(viewer);
    requiredReason(reason);
    const person = await this.administered(actor, personId);
    if (person.roles.includes('hub-admin') && !mayChangeRole(actor, person.memberId, 'hub-admin')) throw forbidden('Only a hub-admin may remove a hub-admin');
    if (isSamePerson(actor, { userId: person._id })) throw badInput('Nobody removes themselves: ask another administrator', 'personId');
    if (person.status === 'REMOVED') return person;
    const changed = await this.change(personId, (p) => (p.status === 'REMOVED' ? null : { status: 'REMOVED' as const }));
    const after = changed?.after ?? (await this.deps.people.get(personId))!;
    if (changed) await this.deps.audit.personChanged('PERSON_REMOVED', actor, after, `removed person ${after._id} of ${after.memberId}`, { from: person.status });
    return after;
  }

  /**
   * Removes every person of a member who is not removed yet, and releases every identity its
   * people hold (offboarding; a registration made again after it was rejected). The member's
   * identity providers are removed with it, so their issuers may later be registered by another
   * member: a subject left linked to a removed person of this member would be refused there for
   * good, and its error would name that person to the new member. Each person is audited
   * PERSON_REMOVED (`details.member` says why, `details.releasedIdentities` what was released); a
   * person removed earlier only has its identities released (IDENTITY_UNLINKED). The caller
   * (MemberService) has checked the viewer. Returns the ids removed now, in id order.
   */
  async removeAllOf(viewer: MemberViewer, memberId: string, why: 'offboarded' | 'registered again'): Promise<string[]> {
    const removed: string[] = [];
    for (const person of await this.deps.people.list(memberId, MAX_PEOPLE_SWEPT)) {
      if (person.status === 'REMOVED' && person.identities.length === 0) continue;
      const changed = await this.change(person._id, (p) =>
        p.memberId !== memberId || (p.status === 'REMOVED' && p.identities.length === 0) ? null : { status: 'REMOVED' as const, identities: [] },
      );
      if (!changed) continue; // removed and released meanwhile
      const releasedIdentities = changed.before.identities.map((i) => ({ issuer: clip(i.issuer, 200), subject: clip(i.subject, 200) }));
      if (changed.before.status === 'REMOVED') {
        await this.deps.audit.personChanged('IDENTITY_UNLINKED', viewer, changed.after, `released the identities of removed person ${person._id}: the member was ${why}`, {
          member: why,
          releasedIdentities,
        });
        continue;
      }
      await this.deps.audit.personChanged('PERSON_REMOVED', viewer, changed.after, `removed person ${person._id} of ${memberId}: the member was ${why}`, {
        from: changed.before.status,
        member: why,
        releasedIdentities,
      });
      removed.push(person._id);
    }
    return removed;
  }

  /**
   * Suspends a person at once (every credential of theirs refused from the next request), or
   * reinstates a suspended one: reinstating gives back only what the person held, so it is not a
   * two-person change. Same permission as `removePerson`; a REMOVED person stays removed
   * (INVALID_TRANSITION). Audited PERSON_SUSPENDED / PERSON_REINSTATED.
   */
  async setSuspended(viewer: Viewer, personId: string, suspended: boolean, reason: string): Promise<PersonDoc> {
    const actor = asMember(viewer);
    requiredReason(reason);
    const person = await this.administered(actor, personId);
    if (person.roles.includes('hub-admin') && !mayChangeRole(actor, person.memberId, 'hub-admin')) throw forbidden('Only a hub-admin may suspend or reinstate a hub-admin');
    if (isSamePerson(actor, { userId: person._id })) throw badInput('Nobody suspends or reinstates themselves: ask another administrator', 'personId');
    if (person.status === 'REMOVED') throw hubError('INVALID_TRANSITION', 'The person was removed: add them again instead', 'personId');
    const [from, to] = suspended ? (['ACTIVE', 'SUSPENDED'] as const) : (['SUSPENDED', 'ACTIVE'] as const);
    const changed = await this.change(personId, (p) => (p.status === from ? { status: to } : null));
    const after = changed?.after ?? (await this.deps.people.get(personId))!;
    if (changed) {
      await this.deps.audit.personChanged(suspended ? 'PERSON_SUSPENDED' : 'PERSON_REINSTATED', actor, after, `${suspended ? 'suspended' : 'reinstated'} person ${after._id} of ${after.memberId}`, { from, to });
    }
    return after;
  }

  /** Checks that an identity may be linked to this person; returns it. BAD_USER_INPUT names the field. */
  private async checkLink(actor: MemberViewer, person: PersonDoc, issuer: string, subject: string): Promise<PersonIdentity> {
    assertActive(person);
    const provider = await this.deps.identity.findByIssuer(issuer);
    if (!provider || provider.memberId !== person.memberId) {
      throw badInput(`The issuer is not an identity provider registered to member ${person.memberId}`, 'issuer');
    }
    if (subject.length < 1 || subject.length > MAX_SUBJECT_CHARS) throw badInput(`The subject must be 1 to ${MAX_SUBJECT_CHARS} characters`, 'subject');
    const identity = { issuer, subject };
    if (person.identities.some((i) => sameIdentity(i, identity))) throw badInput('The person already has this identity', 'subject');
    if (person.identities.length >= MAX_IDENTITIES_PER_PERSON) throw badInput(`A person has at most ${MAX_IDENTITIES_PER_PERSON} identities: unlink one first`, 'subject');
    const holder = await this.deps.people.findByIdentity(issuer, subject);
    // The holder may be another member's person: an issuer removed from one member can later be
    // registered by another, while its subjects stay linked to the first member's people. Name
    // the holder only to whoever administers it.
    if (holder) {
      throw badInput(canAdministerPerson(actor, holder) ? `This identity is already linked to person ${holder._id}` : 'This identity is already linked to a person', 'subject');
    }
    return identity;
  }

  /** The person, when the viewer administers its member; NOT_FOUND alike for no person and another member's. */
  private async administered(viewer: MemberViewer, personId: string): Promise<PersonDoc> {
    if (!canAdministerMember(viewer, viewer.memberId)) {
      throw forbidden('This operation needs the hub-admin role, or member-admin of the person\'s member');
    }
    const person = await this.deps.people.get(personId);
    if (!person || !canAdministerPerson(viewer, person)) throw hubError('NOT_FOUND', `No person "${clip(personId)}" that you administer`, 'personId');
    return person;
  }

  private async activeMember(memberId: string): Promise<Member> {
    const member = await this.deps.members.get(memberId);
    if (!member) throw badInput('No member has this id', 'memberId');
    // Only an ACTIVE member takes new people and roles: a PENDING one is not part of the hub yet,
    // a SUSPENDED one is on hold, an OFFBOARDED one is gone (`memberRefusal`).
    const refusal = memberRefusal(member);
    if (refusal !== null) throw badInput(`No new people or roles: ${refusal}`, 'memberId');
    return member;
  }

  /**
   * Read, compute, compare-and-set, retried while others write the person: `next` returns the
   * fields to change, or null when the person no longer qualifies (then nothing is written).
   */
  private async change(personId: string, next: (p: PersonDoc) => Partial<PersonDoc> | null): Promise<{ before: PersonDoc; after: PersonDoc } | null> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.deps.people.get(personId);
      if (!current) return null;
      const fields = next(current);
      if (!fields) return null;
      const after = await this.deps.people.update({ ...current, ...fields, updatedAt: this.now() }, current.version);
      if (after) {
        this.deps.onPersonChanged?.(after.memberId);
        return { before: current, after };
      }
    }
    throw hubError('INVALID_TRANSITION', 'The person kept changing meanwhile: try again', 'personId');
  }
}

function asMember(viewer: Viewer): MemberViewer {
  if (viewer.kind === 'anonymous') throw unauthenticated('Administering people needs a token');
  return viewer;
}

function asAdministrator(viewer: Viewer, memberId: string): MemberViewer {
  const actor = asMember(viewer);
  if (!canAdministerMember(actor, memberId)) throw forbidden('This operation needs the hub-admin role, or member-admin of this member');
  return actor;
}

function assertActive(person: PersonDoc): void {
  if (person.status !== 'ACTIVE') throw badInput(`The person is ${person.status}`, 'personId');
}

function roleName(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw badInput(`Unknown role "${clip(role, 40)}"; roles are ${ROLES.join(', ')}`, 'role');
  return role as Role;
}

function displayName(text: string): string {
  const name = text.trim();
  if (name.length < 1 || name.length > MAX_DISPLAY_NAME_CHARS) throw badInput(`The display name must be 1 to ${MAX_DISPLAY_NAME_CHARS} characters`, 'displayName');
  return name;
}

function email(text: string): string {
  const address = text.trim().toLowerCase();
  if (address.length > MAX_EMAIL_CHARS || !EMAIL_FORMAT.test(address)) throw badInput('The email is not an address (name@domain.tld)', 'email');
  return address;
}

function requiredReason(reason: string | null | undefined): string {
  const text = reason?.trim() ?? '';
  if (text.length < 1 || text.length > MAX_REASON) throw badInput(`reason must be 1 to ${MAX_REASON} characters`, 'reason');
  return text;
}
