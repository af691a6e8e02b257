import ipaddr from 'ipaddr.js';
import { JwksProblem, parsePublicJwkSet } from '../auth/jwks.js';
import { IDP_ALGORITHMS, type IdentityProviderRegistration, type IdpAlgorithm } from '../domain/types.js';
import { badInput } from '../errors.js';
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
 * that is not a loopback, private, link-local or otherwise non-public IP literal (nor localhost).
 * Names that resolve to private addresses are not caught here: network egress rules must do that.
 */
function fetchTargetProblem(text: string, allowPrivate: boolean): string | null {
  const problem = urlProblem(text);
  if (problem || allowPrivate) return problem;
  const url = new URL(text);
  if (url.protocol !== 'https:') return 'must be an https URL';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at this machine';
  if (ipaddr.isValid(host) && ipaddr.process(host).range() !== 'unicast') {
    return 'must not point at a loopback, private or link-local address';
  }
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
   * Registers (or, for the member that holds it already, replaces) an identity provider.
   * Throws FORBIDDEN unless the viewer may administer the member, BAD_USER_INPUT (with the field)
   * for an invalid input or an issuer held by another member or by the hub itself.
   */
  async register(viewer: Viewer, input: IdentityProviderInput): Promise<IdentityProviderRegistration> {
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
    if (existing?.memberId !== input.memberId && (await this.deps.providers.listByMember(input.memberId)).length >= MAX_IDENTITY_PROVIDERS) {
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
      createdAt: existing?.memberId === input.memberId ? existing.createdAt : now,
      updatedAt: now,
    };
    if (!(await this.deps.providers.put(registration))) {
      throw badInput('This issuer is already registered by another member', 'issuer');
    }
    this.deps.onMemberChanged?.(input.memberId);
    return registration;
  }

  /** Removes a member's identity provider; its tokens fail from the next request. False when there was none. */
  async remove(viewer: Viewer, memberId: string, issuer: string): Promise<boolean> {
    assertCanAdministerMember(viewer, memberId);
    const removed = await this.deps.providers.remove(memberId, issuer);
    if (removed) this.deps.onMemberChanged?.(memberId);
    return removed;
  }
}
