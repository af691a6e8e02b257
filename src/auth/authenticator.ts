import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, type Member, type Role } from '../domain/types.js';
import { hubError } from '../errors.js';
import { ANONYMOUS, type Viewer } from '../policy/policy.js';
import type { HubSecrets } from './key-store.js';
import { MEMBER_CLAIM, ROLES_CLAIM } from './token-issuer.js';
import type { GraphQLError } from 'graphql';

/** Signature algorithms the hub accepts; anything else (none, HS*, RS*) is refused. */
export const ALLOWED_ALGORITHMS = ['EdDSA', 'ES256'];

export interface AuthenticatorOptions {
  secrets: HubSecrets;
  issuer: string;
  audience: string;
  /** Longest accepted exp - iat, ms. */
  maxLifetimeMs: number;
  /** Accepted clock skew, ms (at most 60 s). */
  clockToleranceMs: number;
  /** Reads members from the hub's registry: the only source of a member's tier. */
  loadMember: (id: string) => Promise<Member | null>;
  /** Told of every rejected token, with the reason (for the log). */
  onRejected?: (reason: string) => void;
}

interface VerifiedClaims {
  memberId: string;
  userId: string;
  roles: Role[];
  expMs: number;
}

const CACHE_LIMIT = 10_000;

/** An UNAUTHENTICATED error that Apollo answers with HTTP 401. */
export function authError(reason: string): GraphQLError {
  const error = hubError('UNAUTHENTICATED', reason);
  (error.extensions as Record<string, unknown>).http = { status: 401 };
  return error;
}

/**
 * Turns an `Authorization` header into a Viewer. Signature and claims are verified once per
 * token and cached until the token expires; the member (and so the tier and suspension) is read
 * from the registry on every call.
 */
export class Authenticator {
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(private readonly options: AuthenticatorOptions) {}

  /** No header means the anonymous viewer; a bad header or token throws UNAUTHENTICATED (401). */
  async authenticate(authorization: string | undefined | null): Promise<Viewer> {
    if (authorization == null || authorization === '') return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw this.reject('the Authorization header must be "Bearer <token>"');
    const claims = await this.verify(match[1]!);
    const member = await this.options.loadMember(claims.memberId);
    if (!member) throw this.reject(`the token names a member this hub does not know`);
    if (member.suspended) throw this.reject('the member is suspended');
    return {
      kind: 'member',
      memberId: member._id,
      userId: claims.userId,
      roles: claims.roles.filter((r) => member.allowedRoles.includes(r)),
      tier: member.tier,
    };
  }

  private async verify(token: string): Promise<VerifiedClaims> {
    const cached = this.verified.get(token);
    if (cached && cached.expMs + this.options.clockToleranceMs > Date.now()) return cached;
    if (cached) this.verified.delete(token);

    const { secrets, issuer, audience, clockToleranceMs, maxLifetimeMs } = this.options;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, secrets.verifyKey, {
        algorithms: ALLOWED_ALGORITHMS,
        issuer,
        audience,
        typ: 'JWT',
        clockTolerance: Math.floor(clockToleranceMs / 1000),
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (err) {
      throw this.reject(describeJoseError(err));
    }
    const lifetimeMs = (payload.exp! - payload.iat!) * 1000;
    if (lifetimeMs > maxLifetimeMs) throw this.reject(`the token lives longer than the hub's maximum of ${maxLifetimeMs / 1000}s`);
    const memberId = payload[MEMBER_CLAIM];
    if (typeof memberId !== 'string' || memberId === '') throw this.reject(`the token has no ${MEMBER_CLAIM} claim`);
    const rawRoles = payload[ROLES_CLAIM] ?? [];
    if (!Array.isArray(rawRoles)) throw this.reject(`the ${ROLES_CLAIM} claim must be an array`);
    const roles = rawRoles.filter((r): r is Role => ROLES.includes(r as Role));
    const claims: VerifiedClaims = { memberId, userId: payload.sub!, roles, expMs: payload.exp! * 1000 };
    if (this.verified.size >= CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  private reject(reason: string): GraphQLError {
    this.options.onRejected?.(reason);
    return authError(`Invalid token: ${reason}`);
  }
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'the token is not valid yet';
    if (err.claim === 'iat') return 'the token was issued in the future';
    return `the "${err.claim}" claim is wrong or missing`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return `the signing algorithm is not allowed (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be verified';
}
