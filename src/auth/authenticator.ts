import { clip } from '../util/clip.js';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import { ROLES, type IdentityProviderRegistration, type Member, type Role } from '../domain/types.js';
import { hubError } from '../errors.js';
import { ANONYMOUS, API_KEY_EXCLUDED_ROLES, effectiveRoles, federatedTokenRoles, memberRefusal, peerViewer, personMayAct, UNKNOWN_PERSON, type Viewer } from '../policy/policy.js';
import { DEFAULT_MAX_HOPS } from '../domain/peer.js';
import type { PersonDoc } from '../domain/person.js';
import { ApiKeyRejection, readAuthorization, type ApiKeyCredential } from './api-keys.js';
import { FederatedKeySets, registrationFingerprint, type RemoteJwksOptions } from './federated-key-sets.js';
import { isFederatedUserId } from './federated-subject.js';
import type { HubSecrets } from './key-store.js';
import { MEMBER_CLAIM, ROLES_CLAIM } from './token-issuer.js';
import { GraphQLError } from 'graphql';
import { LIMIT_CODES, limitError } from '../http/limits.js';
import { FailedLoginLimiter, type FailedLoginLimitOptions } from './failed-login-limiter.js';
import { LRUCache } from 'lru-cache';

/** Signature algorithms the hub accepts at all; anything else (none, HS*, RS*) is refused. */
export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256'];
/** The hub signs its own tokens with Ed25519 only. */
const HUB_ALGORITHMS = ['EdDSA'];
/** `typ` values accepted from a member's identity provider: plain JWTs and OAuth access tokens (RFC 9068). */
const FEDERATED_TYPES = ['jwt', 'at+jwt'];
const REQUIRED_CLAIMS = ['exp', 'iat', 'sub'];
/** JWS algorithm names of the IANA registry (RFC 7518, 8037, 8812 and fully-specified ones), for messages. */
const JOSE_ALGORITHMS = new Set([
  'none', 'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'PS256', 'PS384', 'PS512',
  'EdDSA', 'Ed25519', 'Ed448', 'ML-DSA-44', 'ML-DSA-65', 'ML-DSA-87',
]);

/** What the log (and the audit log) learns of a rejected token. Never the token itself. */
export interface RejectionDetails {
  /** The issuer the token claims (unverified), cut to 200 characters. */
  issuer?: string;
  /**
   * The member the token claims to act for (unverified): the hub's member claim in a token
   * naming the hub as issuer, or the member that registered the claimed issuer; for an API key,
   * the member whose key id it names (when that id exists).
   */
  claimedMember?: string;
  /** For an API key: its id (the public part of the key), never its secret. */
  apiKeyId?: string;
}

export interface AuthenticatorOptions {
  secrets: HubSecrets;
  issuer: string;
  audience: string;
  /** Longest accepted exp - iat, ms; for the hub's tokens and members' identity providers alike. */
  maxLifetimeMs: number;
  /** Accepted clock skew, ms (at most 60 s). */
  clockToleranceMs: number;
  /** This hub's `HUB_MAX_HOPS`, carried by peer viewers (`Viewer.peer`). Default 3. */
  maxHops?: number;
  /** Reads members from the hub's registry: the only source of a member's tier. */
  loadMember: (id: string) => Promise<Member | null>;
  /**
   * Finds the member identity provider registered for an issuer, or null. Called for every token
   * that names an issuer other than the hub (cached tokens too, so a removed or changed
   * registration applies from the next request). Default: no member identity providers.
   */
  findIdentityProvider?: (issuer: string) => Promise<IdentityProviderRegistration | null>;
  /**
   * Checks an API key (`hubk_...`, presented as `Bearer <key>` or as the password of Basic) and
   * says whom it speaks for; throws ApiKeyRejection to refuse it (answered 401 with its reason).
   * Called on every request that presents a key, so it must read revocation fresh.
   * Default: API keys are refused.
   */
  verifyApiKey?: (key: string) => Promise<ApiKeyCredential>;
  /**
   * Reads a person by id: the `sub` of a hub token, the person an API key belongs to. Read on
   * every request (like the member), so a revoked role or a removed person applies at once.
   */
  loadPerson: (id: string) => Promise<PersonDoc | null>;
  /** Finds the person a member identity provider's `(issuer, subject)` is linked to; read on every federated request. */
  findPersonByIdentity: (issuer: string, subject: string) => Promise<PersonDoc | null>;
  /**
   * Just-in-time people (`HUB_JIT_PEOPLE`): makes a reader-only person of `memberId` for an
   * identity linked to nobody. Default: none, and such a token is refused.
   */
  provisionPerson?: (memberId: string, issuer: string, subject: string) => Promise<PersonDoc>;
  /** Fetching members' remote JWK Sets; defaults in RemoteJwksOptions. */
  remoteJwks?: RemoteJwksOptions;
  /** Told of every rejected token, with the reason and what the token claimed (for the log). Must not throw. */
  onRejected?: (reason: string, details: RejectionDetails) => void;
  /**
   * Refused credentials allowed per source address (see FailedLoginLimiter for the defaults: 30 a
   * minute, then 5 minutes refused). Over it, the address's credentials are refused with
   * RATE_LIMITED (HTTP 429) before they are read, and neither logged nor audited one by one.
   */
  failedLogins?: FailedLoginLimitOptions;
  /** Told once when an address goes over `failedLogins` (for the log). Must not throw. */
  onAddressBlocked?: (remoteAddress: string, retryAfterSeconds: number) => void;
}

/** Where a request comes from, for limits that are per source address. */
export interface AuthenticateOptions {
  /** The peer's IP address (the socket's `remoteAddress`). Without it, refused credentials are not limited. */
  remoteAddress?: string;
}

interface VerifiedClaims {
  memberId: string;
  /** The token's `sub`: the person id of a hub token, the identity's subject of a federated one. */
  subject: string;
  /** The token's role claim, which only narrows the person's roles; null when the token has none. */
  roles: Role[] | null;
  expMs: number;
  /**
   * For a member identity provider's token: the registration it was verified against, and whoever
   * registered it (an identity it vouches for also counts as them, see Viewer.persons).
   */
  federated?: { issuer: string; fingerprint: string; registrants: string[] };
}

/** What a verified JWT or API key speaks for, before the member registry is read. */
interface Credential {
  /** For messages: "Invalid token: ..." or "Invalid API key: ...". */
  kind: 'token' | 'API key';
  memberId: string;
  /** Who it says it is: a person id (hub token, API key), or an identity of a member's identity provider. */
  who: { personId: string } | { issuer: string; subject: string; registrants: string[] };
  /** The roles the credential names (a narrowing of its person's); null for none named. */
  roles: Role[] | null;
  /** Roles this kind of credential never carries, whatever its person holds. */
  excluded: readonly Role[];
  expMs: number | null;
  details: RejectionDetails;
  /** An API key's id, kept on the viewer for the audit. */
  apiKeyId?: string;
}

/**
 * The one answer for a credential with no active person of its member behind it, whatever the
 * reason (no such person, another member's, suspended, removed, an unlinked identity), so that a
 * refusal never tells whether a person exists elsewhere.
 */
const NO_ACTIVE_PERSON = 'no active person of its member stands behind it';

/** A token's header and claims, decoded but not yet trusted. */
interface Unverified {
  header: ProtectedHeaderParameters;
  issuer: string;
  details: RejectionDetails;
}

const CACHE_LIMIT = 10_000;

/** An UNAUTHENTICATED error that Apollo answers with HTTP 401. */
export function authError(reason: string): GraphQLError {
  const error = hubError('UNAUTHENTICATED', reason);
  (error.extensions as Record<string, unknown>).http = { status: 401 };
  return error;
}

/**
 * Turns an `Authorization` header into a Viewer. A token is verified against the key its
 * (untrusted) `iss` selects: the hub's own key, or the keys a member registered for its identity
 * provider, and nothing else. Signature and claims are verified once per token and cached until
 * the token expires; the member (and so the tier and suspension) is read from the registry on
 * every call, and so is a member identity provider's registration. API keys are not cached:
 * `verifyApiKey` reads the key on every call, so a revoked key fails on the next request.
 */
export class Authenticator {
  /** Verified tokens, least recently used first out (lru-cache). */
  private readonly verified = new LRUCache<string, VerifiedClaims>({ max: CACHE_LIMIT });
  private readonly keySets: FederatedKeySets;
  private readonly failedLogins: FailedLoginLimiter;

  constructor(private readonly options: AuthenticatorOptions) {
    this.keySets = new FederatedKeySets(options.remoteJwks);
    this.failedLogins = new FailedLoginLimiter(options.failedLogins);
  }

  /**
   * No header means the anonymous viewer; a bad header, token or API key throws UNAUTHENTICATED
   * (401). `Bearer <JWT>`, `Bearer hubk_...` and `Basic <user:hubk_...>` are accepted (see
   * `readAuthorization`). Every credential acts as its person (Viewer.userId is the person id):
   * a hub token's `sub`, a federated identity's linked person, an API key's person.
   */
  async authenticate(authorization: string | undefined | null, options: AuthenticateOptions = {}): Promise<Viewer> {
    if (authorization == null || authorization === '') return ANONYMOUS;
    const address = options.remoteAddress;
    if (address === undefined) return this.authenticateCredentials(authorization);
    const wait = await this.failedLogins.retryAfter(address);
    if (wait !== null) throw tooManyRefused(wait);
    try {
      return await this.authenticateCredentials(authorization);
    } catch (err) {
      if (isRefusal(err)) {
        await this.failedLogins.refused(address);
        const blocked = await this.failedLogins.retryAfter(address);
        if (blocked !== null) this.options.onAddressBlocked?.(address, blocked);
      }
      throw err;
    }
  }

  private async authenticateCredentials(authorization: string): Promise<Viewer> {
    const presented = readAuthorization(authorization);
    if (presented.kind === 'refused') throw this.reject(presented.reason, {}, 'credentials');
    const credential = presented.kind === 'api-key' ? await this.verifyApiKey(presented.key) : this.fromClaims(await this.verify(presented.token));
    const { kind, details } = credential;
    const member = await this.options.loadMember(credential.memberId);
    if (!member) throw this.reject(`the ${kind} names a member this hub does not know`, details, kind);
    const refusal = memberRefusal(member);
    if (refusal !== null) throw this.reject(refusal, details, kind);
    const person = await this.personOf(credential, member._id);
    if (!personMayAct(person, member._id)) throw this.reject(NO_ACTIVE_PERSON, details, kind);
    // A federated identity also counts as whoever put its provider in place (isSamePerson).
    const persons = 'issuer' in credential.who ? [...new Set([person!._id, ...credential.who.registrants])] : null;
    const viewer: Viewer = {
      kind: 'member',
      memberId: member._id,
      userId: person!._id,
      roles: effectiveRoles(person!.roles, member.allowedRoles, credential.roles, credential.excluded),
      tier: member.tier,
      ...(credential.expMs !== null ? { tokenExpiresAt: credential.expMs } : {}),
      ...(persons ? { persons } : {}),
      ...(credential.apiKeyId ? { apiKeyId: credential.apiKeyId } : {}),
    };
    // A peer hub is recognised by its member's kind in the registry, never by a claim.
    return peerViewer(viewer, member, this.options.maxHops ?? DEFAULT_MAX_HOPS);
  }

  /** The person behind a credential, read fresh; for an unlinked identity, one made just in time when the hub does that. */
  private async personOf(credential: Credential, memberId: string): Promise<PersonDoc | null> {
    const { who } = credential;
    if ('personId' in who) return this.options.loadPerson(who.personId);
    const linked = await this.options.findPersonByIdentity(who.issuer, who.subject);
    if (linked || !this.options.provisionPerson) return linked;
    return this.options.provisionPerson(memberId, who.issuer, who.subject);
  }

  private fromClaims(claims: VerifiedClaims): Credential {
    const details = { issuer: claims.federated?.issuer ?? this.options.issuer, claimedMember: claims.memberId };
    const who = claims.federated
      ? { issuer: claims.federated.issuer, subject: claims.subject, registrants: claims.federated.registrants }
      : { personId: claims.subject };
    // Hub administration needs a token the hub signed: a member's key holder can write any claim.
    const excluded = claims.federated ? ROLES.filter((r) => !federatedTokenRoles([r]).length) : [];
    return { kind: 'token', memberId: claims.memberId, who, roles: claims.roles, excluded, expMs: claims.expMs, details };
  }

  private async verifyApiKey(key: string): Promise<Credential> {
    if (!this.options.verifyApiKey) throw this.reject('this hub does not accept API keys', {}, 'API key');
    let verified: ApiKeyCredential;
    try {
      verified = await this.options.verifyApiKey(key);
    } catch (err) {
      if (!(err instanceof ApiKeyRejection)) throw err;
      const details: RejectionDetails = {};
      if (err.keyId) details.apiKeyId = err.keyId;
      if (err.memberId) details.claimedMember = err.memberId;
      throw this.reject(err.message, details, 'API key');
    }
    return {
      kind: 'API key',
      memberId: verified.memberId,
      who: { personId: verified.personId },
      roles: verified.roles,
      excluded: API_KEY_EXCLUDED_ROLES,
      expMs: verified.expiresAt?.getTime() ?? null,
      details: { apiKeyId: verified.keyId, claimedMember: verified.memberId },
      apiKeyId: verified.keyId,
    };
  }

  private async verify(token: string): Promise<VerifiedClaims> {
    const cached = this.verified.get(token);
    if (cached && cached.expMs + this.options.clockToleranceMs > Date.now() && (await this.stillRegistered(cached))) return cached;
    if (cached) this.verified.delete(token);

    const unverified = this.decode(token);
    const claims =
      unverified.issuer === this.options.issuer ? await this.verifyHubToken(token, unverified) : await this.verifyFederated(token, unverified);
    this.verified.set(token, claims);
    return claims;
  }

  /** Whether a cached token's registration is still the one it was verified against. */
  private async stillRegistered(claims: VerifiedClaims): Promise<boolean> {
    if (!claims.federated) return true;
    const registration = await this.options.findIdentityProvider?.(claims.federated.issuer);
    return registration != null && registrationFingerprint(registration) === claims.federated.fingerprint;
  }

  /** Reads the header and `iss` without trusting them: they only choose which keys to try. */
  private decode(token: string): Unverified {
    let header: ProtectedHeaderParameters;
    let payload: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      payload = decodeJwt(token);
    } catch {
      throw this.reject('the token is malformed', {});
    }
    const issuer = typeof payload.iss === 'string' ? payload.iss : undefined;
    const member = payload[MEMBER_CLAIM];
    const details: RejectionDetails = {};
    if (issuer !== undefined) details.issuer = clip(issuer, 200);
    if (issuer === this.options.issuer && typeof member === 'string') details.claimedMember = clip(member, 200);
    if (header.alg === 'none') throw this.reject('the token is unsigned ("alg": "none" is not an accepted algorithm)', details);
    if (issuer === undefined) throw this.reject('the token has no "iss" claim', details);
    return { header, issuer, details };
  }

  private async verifyHubToken(token: string, { header, details }: Unverified): Promise<VerifiedClaims> {
    const { secrets, issuer, audience } = this.options;
    this.assertAlgorithm(header, HUB_ALGORITHMS, details);
    const { payload } = await this.verifySignedJwt(token, secrets.verifyKey, { algorithms: HUB_ALGORITHMS, issuer, audience, typ: 'JWT' }, details);
    this.assertTimes(payload, details);
    if (isFederatedUserId(payload.sub!)) throw this.reject('the "sub" claim has the form of a federated subject (issuer#subject), which hub tokens may not use', details);
    const memberId = payload[MEMBER_CLAIM];
    if (typeof memberId !== 'string' || memberId === '') throw this.reject(`the token has no ${MEMBER_CLAIM} claim`, details);
    const rawRoles = payload[ROLES_CLAIM];
    if (rawRoles !== undefined && !Array.isArray(rawRoles)) throw this.reject(`the ${ROLES_CLAIM} claim must be an array`, details);
    const roles = rawRoles === undefined ? null : rawRoles.filter((r): r is Role => ROLES.includes(r as Role));
    return { memberId, subject: payload.sub!, roles, expMs: payload.exp! * 1000 };
  }

  /**
   * A token from a member's own identity provider: verified against that registration's keys,
   * acting for the registration's member (whatever the token claims), with roles read from the
   * registration's roles claim and never hub-admin.
   */
  private async verifyFederated(token: string, { header, issuer, details }: Unverified): Promise<VerifiedClaims> {
    const registration = await this.options.findIdentityProvider?.(issuer);
    if (!registration) {
      this.keySets.forget(issuer);
      throw this.reject(`the token's issuer ("iss") is not registered with this hub`, details);
    }
    const known: RejectionDetails = { issuer: clip(issuer, 200), claimedMember: registration.memberId };
    const algorithms = registration.allowedAlgorithms.filter((a) => ALLOWED_ALGORITHMS.includes(a));
    this.assertAlgorithm(header, algorithms, known);
    let keys: JWTVerifyGetKey;
    try {
      keys = this.keySets.for(registration);
    } catch {
      throw this.reject("the issuer's key set is not a valid JWK Set", known);
    }
    const { payload, protectedHeader } = await this.verifySignedJwt(
      token,
      keys,
      { algorithms, issuer: registration.issuer, audience: registration.audience },
      known,
      registration.jwksUri !== null,
    );
    const typ = typeof protectedHeader.typ === 'string' ? protectedHeader.typ.toLowerCase().replace(/^application\//, '') : undefined;
    if (typ === undefined || !FEDERATED_TYPES.includes(typ)) throw this.reject('the "typ" header must be JWT or at+jwt', known);
    this.assertTimes(payload, known);
    const claim = payload[registration.rolesClaim];
    const roles = readRoles(claim);
    if (roles === null) {
      throw this.reject(`the "${registration.rolesClaim}" claim must be an array of role names or a space-separated string`, known);
    }
    // The subject stays paired with its issuer: it names a person only through a linked identity,
    // since the provider's key holder writes any sub.
    const registrants = registration.registeredBy?.persons ?? [UNKNOWN_PERSON];
    return {
      memberId: registration.memberId,
      subject: payload.sub!,
      roles: claim === undefined ? null : roles.filter((r): r is Role => ROLES.includes(r as Role)),
      expMs: payload.exp! * 1000,
      federated: { issuer: registration.issuer, fingerprint: registrationFingerprint(registration), registrants },
    };
  }

  private assertAlgorithm(header: ProtectedHeaderParameters, allowed: readonly string[], details: RejectionDetails): void {
    const { alg } = header;
    if (typeof alg === 'string' && allowed.includes(alg)) return;
    // Only registered names are echoed: the reason is an audit key, and caller text must not make new ones.
    const shown = typeof alg === 'string' && JOSE_ALGORITHMS.has(alg) ? alg : 'unrecognised';
    throw this.reject(`the signing algorithm is not allowed (${shown}; allowed: ${allowed.join(', ')})`, details);
  }

  /**
   * `iat` no later than now (with the clock tolerance), and the lifetime within the hub's
   * maximum both as the token states it (exp - iat) and as it is left (exp - now): a token
   * "issued" years ahead with exp = iat + 1h is neither accepted now nor for years.
   */
  private assertTimes(payload: JWTPayload, details: RejectionDetails): void {
    const { maxLifetimeMs, clockToleranceMs } = this.options;
    const nowMs = Date.now();
    const iatMs = payload.iat! * 1000;
    const expMs = payload.exp! * 1000;
    if (iatMs > nowMs + clockToleranceMs) throw this.reject('the token was issued in the future ("iat" is later than now)', details);
    if (expMs - iatMs > maxLifetimeMs) throw this.reject(`the token lives longer than the hub's maximum of ${maxLifetimeMs / 1000}s`, details);
    if (expMs - nowMs > maxLifetimeMs + clockToleranceMs) {
      throw this.reject(`the token expires more than the hub's maximum of ${maxLifetimeMs / 1000}s from now`, details);
    }
  }

  private async verifySignedJwt(
    token: string,
    key: CryptoKey | JWTVerifyGetKey,
    checks: { algorithms: string[]; issuer: string; audience: string; typ?: string },
    details: RejectionDetails,
    remoteKeys = false,
  ): Promise<{ payload: JWTPayload; protectedHeader: JWTHeaderParameters }> {
    const options = { ...checks, clockTolerance: Math.floor(this.options.clockToleranceMs / 1000), requiredClaims: REQUIRED_CLAIMS };
    try {
      return typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    } catch (err) {
      const whose = typeof key === 'function' ? 'the keys registered for this issuer' : "the hub's key";
      throw this.reject(describeJoseError(err, whose, remoteKeys), details);
    }
  }

  private reject(reason: string, details: RejectionDetails, what: Credential['kind'] | 'credentials' = 'token'): GraphQLError {
    this.options.onRejected?.(reason, details);
    return authError(`Invalid ${what}: ${reason}`);
  }
}

/** A credential refused by `reject` (UNAUTHENTICATED), as opposed to a failure of the hub itself. */
function isRefusal(err: unknown): boolean {
  return err instanceof GraphQLError && err.extensions.code === 'UNAUTHENTICATED';
}

/** RATE_LIMITED with HTTP 429 and Retry-After, as the request rate limiter answers. */
function tooManyRefused(retryAfterSeconds: number): GraphQLError {
  const error = limitError(LIMIT_CODES.rate, `Too many refused credentials from your address: retry in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
  (error.extensions as Record<string, unknown>).http = { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) };
  return error;
}

/** Roles from a claim: an array of strings, or one space-separated string; null when neither. Absent means none. */
function readRoles(claim: unknown): string[] | null {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return claim.split(/\s+/).filter(Boolean);
  if (Array.isArray(claim) && claim.every((r) => typeof r === 'string')) return claim;
  return null;
}


function describeJoseError(err: unknown, whose: string, remoteKeys: boolean): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    // Each refusal names its own cause: a missing claim is not a wrong one.
    if (err.reason === 'missing') return `the token has no "${err.claim}" claim`;
    if (err.claim === 'nbf') return 'the token is not valid yet';
    if (err.claim === 'iat') return 'the "iat" claim is not a number';
    return `the "${err.claim}" claim is wrong or missing`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the signing algorithm is not allowed';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return `the signature does not verify against ${whose}`;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return `no key registered for this issuer matches the token's key id ("kid")`;
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return `several keys registered for this issuer match: the token must name one ("kid")`;
  if (err instanceof joseErrors.JWKSTimeout) return "the issuer's key set could not be fetched in time";
  if (err instanceof joseErrors.JWKSInvalid) return "the issuer's key set is not a valid JWK Set";
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  if (remoteKeys) return "the issuer's key set could not be fetched";
  return 'the token could not be verified';
}
