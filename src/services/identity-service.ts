import { isIpLiteral, isLocalhostName, isPublicAddress } from '../auth/fetch-target.js';
import { JwksProblem, parsePublicJwkSet } from '../auth/jwks.js';
import { IDP_ALGORITHMS, type IdentityProviderRegistration, type IdpAlgorithm } from '../domain/types.js';
import { badInput, hubError } from '../errors.js';
import { clip } from '../util/clip.js';
import { registrationFingerprint } from '../auth/federated-key-sets.js';
import { assertCanAdministerMember, canAdministerMember, type Viewer } from '../policy/policy.js';
import type { IdentityProviderRepository } from '../store/ports.js';
import type { MemberService } from './member-service.js';

export interface IdentityServiceDeps {
  providers: IdentityProviderRepository;
  members: MemberService;
  /** The hub's own `iss`: no member may register it. */
  hubIssuer: string;
  /** Told when a member's identity providers change (its live connections are re-checked). */
  onMemberChanged?: (memberId: string) => void;
  /** Whether a JWKS URL may name loopback or private addresses (see HubConfig.idpAllowPrivateHosts). */
  allowPrivateJwksHosts: boolean;
  /** The audience a registration gets when it names none: the hub's. */
  hubAudience: string;
  now?: () => Date;
}

/** What a member sends to register its identity provider (GraphQL `IdentityProviderInput`). */
export interface IdentityProviderInput {
  memberId: string;
  issuer: string;
  audience?: string | null;
  jwksUri?: string | null;
  /** An inline JWK Set: its JSON text (as GraphQL sends it) or the object. */
  jwks?: string | object | null;
  rolesClaim?: string | null;
  allowedAlgorithms?: readonly IdpAlgorithm[] | null;
}

const MAX_URL_CHARS = 2_048;
/** Identity providers one member may register (the cost analysis counts `Member.identityProviders` by it). */
export const MAX_IDENTITY_PROVIDERS = 10;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const CLAIM_NAME = /^[\x21-\x7e]{1,128}$/;

/**
 * An issuer or JWKS URL: https, or http on the loopback interface (tests, air-gapped dev). No
 * credentials or fragment. Returns the problem, or null.
 */
function urlProblem(text: string): string | null {
  if (text.length > MAX_URL_CHARS) return `is longer than ${MAX_URL_CHARS} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) return 'must be an https URL (http only on 127.0.0.1 or localhost)';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash || text.includes('#')) return 'must not have a fragment';
  return null;
}

/**
 * A JWKS URL is fetched by the hub, so unless the operator allowed it, it must be https to a host
 * that is not localhost nor a loopback, private, link-local or otherwise non-public IP literal,
 * judged after normalising the host (trailing dots, IPv4-mapped and IPv4-compatible IPv6; the URL
 * parser already turns numeric forms such as 2130706433 into 127.0.0.1). Names are checked again
 * where it matters, when the hub connects (`createGuardedFetch`): DNS can change after this.
 */
function fetchTargetProblem(text: string, allowPrivate: boolean): string | null {
  const problem = urlProblem(text);
  if (problem || allowPrivate) return problem;
  const url = new URL(text);
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (isLocalhostName(url.hostname)) return 'must not point at this machine';
  if (isIpLiteral(url.hostname) && !isPublicAddress(url.hostname)) return 'must not point at a loopback, private or link-local address';
  return null;
}

/** Members' own identity providers: who may register one for which member, and what a registration must satisfy. */
export class IdentityService {
  private readonly now: () => Date;

  constructor(private readonly deps: IdentityServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The registration of an issuer, for the authenticator. No viewer: it runs before there is one. */
  findByIssuer(issuer: string): Promise<IdentityProviderRegistration | null> {
    return this.deps.providers.findByIssuer(issuer);
  }

  /** A member's identity providers, or null when the viewer may not administer that member. */
  async listFor(viewer: Viewer, memberId: string): Promise<IdentityProviderRegistration[] | null> {
    if (!canAdministerMember(viewer, memberId)) return null;
    return this.deps.providers.listByMember(memberId);
  }

  /**
   * Checks a request to register (or, for the member that holds it already, replace) an identity
   * provider and returns the registration as it would be stored, with the one it would replace.
   * Nothing is written: registering is a two-person change (`ApprovalService`). Throws FORBIDDEN
   * unless the viewer may administer the member, BAD_USER_INPUT (with the field) for an invalid
   * input or an issuer held by another member or by the hub itself.
   */
  async prepareRegistration(
    viewer: Viewer,
    input: IdentityProviderInput,
  ): Promise<{ registration: IdentityProviderRegistration; existing: IdentityProviderRegistration | null }> {
    assertCanAdministerMember(viewer, input.memberId);
    const member = await this.deps.members.get(input.memberId);
    if (!member) throw badInput('No member has this id', 'memberId');

    if (input.issuer === this.deps.hubIssuer) throw badInput("The issuer is the hub's own", 'issuer');
    const issuerProblem = urlProblem(input.issuer);
    if (issuerProblem) throw badInput(`The issuer ${issuerProblem}`, 'issuer');

    const audience = input.audience ?? this.deps.hubAudience;
    if (audience.trim() === '' || audience.length > 512) throw badInput('The audience must be 1 to 512 characters', 'audience');
    const rolesClaim = input.rolesClaim ?? 'roles';
    if (!CLAIM_NAME.test(rolesClaim)) throw badInput('The roles claim must be 1 to 128 printable characters, no spaces', 'rolesClaim');

    const allowedAlgorithms = [...new Set(input.allowedAlgorithms ?? IDP_ALGORITHMS)];
    if (allowedAlgorithms.length === 0) throw badInput('Allow at least one algorithm', 'allowedAlgorithms');
    const refused = allowedAlgorithms.filter((a) => !IDP_ALGORITHMS.includes(a));
    if (refused.length) throw badInput(`Only ${IDP_ALGORITHMS.join(' and ')} are accepted (not ${refused.join(', ')})`, 'allowedAlgorithms');

    const hasUri = input.jwksUri != null;
    const hasInline = input.jwks != null;
    if (hasUri === hasInline) throw badInput('Give exactly one of jwksUri (a URL) and jwks (inline keys)', hasUri ? 'jwks' : 'jwksUri');
    let jwks: IdentityProviderRegistration['jwks'] = null;
    if (hasUri) {
      const problem = fetchTargetProblem(input.jwksUri!, this.deps.allowPrivateJwksHosts);
      if (problem) throw badInput(`The jwksUri ${problem}`, 'jwksUri');
    } else {
      try {
        jwks = await parsePublicJwkSet(input.jwks, allowedAlgorithms);
      } catch (err) {
        if (err instanceof JwksProblem) throw badInput(`The jwks is refused: ${err.message}`, 'jwks');
        throw err;
      }
    }

    const existing = await this.deps.providers.findByIssuer(input.issuer);
    if (existing && existing.memberId !== input.memberId) throw badInput('This issuer is already registered by another member', 'issuer');
    if (!existing && (await this.deps.providers.listByMember(input.memberId)).length >= MAX_IDENTITY_PROVIDERS) {
      throw badInput(`A member has at most ${MAX_IDENTITY_PROVIDERS} identity providers: remove one first`, 'issuer');
    }
    const now = this.now();
    const registration: IdentityProviderRegistration = {
      _id: input.issuer,
      memberId: input.memberId,
      issuer: input.issuer,
      audience,
      jwksUri: hasUri ? input.jwksUri! : null,
      jwks,
      rolesClaim,
      allowedAlgorithms,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    return { registration, existing };
  }

  /**
   * Checks a request to remove a member's identity provider and returns the registration it
   * would remove. Nothing is written (a two-person change). Throws FORBIDDEN unless the viewer may
   * administer the member, NOT_FOUND (field `issuer`) when the member holds no such issuer.
   */
  async prepareRemoval(viewer: Viewer, memberId: string, issuer: string): Promise<IdentityProviderRegistration> {
    assertCanAdministerMember(viewer, memberId);
    const existing = await this.deps.providers.findByIssuer(issuer);
    if (!existing || existing.memberId !== memberId) throw hubError('NOT_FOUND', `member "${clip(memberId)}" has no identity provider with this issuer`, 'issuer');
    return existing;
  }

  /**
   * Applies an approved registration, if the issuer is still as the request found it (the same
   * registration, or free); null, with nothing written, when it is not. `registeredBy` records who
   * requested and approved it: identities this provider vouches for count as those persons.
   */
  async applyRegistration(
    registration: IdentityProviderRegistration,
    expected: IdentityProviderRegistration | null,
    registeredBy: NonNullable<IdentityProviderRegistration['registeredBy']>,
  ): Promise<{ before: IdentityProviderRegistration | null; after: IdentityProviderRegistration } | null> {
    const current = await this.deps.providers.findByIssuer(registration.issuer);
    if (!sameRegistration(current, expected)) return null;
    const now = this.now();
    const after: IdentityProviderRegistration = { ...registration, createdAt: current?.createdAt ?? now, updatedAt: now, registeredBy };
    if (!(await this.deps.providers.put(after))) return null;
    this.deps.onMemberChanged?.(registration.memberId);
    return { before: current, after };
  }

  /**
   * Removes every identity provider of a member at once (offboarding; a registration made again):
   * restricting needs no second person. Returns the registrations removed. The caller checked
   * the viewer (MemberService, `assertMayChangeMemberStanding`).
   */
  async removeAllOf(memberId: string): Promise<IdentityProviderRegistration[]> {
    const removed: IdentityProviderRegistration[] = [];
    for (const registration of await this.deps.providers.listByMember(memberId)) {
      if (await this.deps.providers.remove(memberId, registration.issuer)) removed.push(registration);
    }
    if (removed.length) this.deps.onMemberChanged?.(memberId);
    return removed;
  }

  /** Applies an approved removal if the registration is still the one the request found; null otherwise. */
  async applyRemoval(expected: IdentityProviderRegistration): Promise<IdentityProviderRegistration | null> {
    const current = await this.deps.providers.findByIssuer(expected.issuer);
    if (!current || !sameRegistration(current, expected)) return null;
    if (!(await this.deps.providers.remove(expected.memberId, expected.issuer))) return null;
    this.deps.onMemberChanged?.(expected.memberId);
    return current;
  }
}

/** Whether two registrations (or their absence) accept the same tokens as the same member, put in place by the same request. */
function sameRegistration(a: IdentityProviderRegistration | null, b: IdentityProviderRegistration | null): boolean {
  if (a === null || b === null) return a === b;
  return registrationFingerprint(a) === registrationFingerprint(b);
}
