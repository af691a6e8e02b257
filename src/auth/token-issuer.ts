import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ROLES, type Role } from '../domain/types.js';
import { isFederatedUserId } from './federated-subject.js';
import type { HubSecrets } from './key-store.js';

/** Claims the hub puts in its tokens, beside the registered ones (iss, aud, sub, iat, exp, jti). */
export const MEMBER_CLAIM = 'hub:member';
export const ROLES_CLAIM = 'hub:roles';

export interface TokenRequest {
  memberId: string;
  /** The person or machine acting for the member; the token's `sub`. */
  userId: string;
  roles: readonly Role[];
  /** Lifetime in ms; must not exceed the hub's maximum. */
  ttlMs: number;
}

/** What `onIssued` is told about a token: never the token itself. */
export interface IssuedToken {
  memberId: string;
  userId: string;
  roles: Role[];
  /** The token's `jti`. */
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface TokenIssuerOptions {
  secrets: HubSecrets;
  issuer: string;
  audience: string;
  maxLifetimeMs: number;
  /**
   * Told of every token issued (for the audit log), and awaited before `issue` returns. Default:
   * nothing. If it throws, `issue` throws and the token is not handed out: no unaudited tokens.
   */
  onIssued?: (issued: IssuedToken) => void | Promise<void>;
}

/** Signs the hub's own access tokens (EdDSA) for the CLI and for tests. */
export class TokenIssuer {
  constructor(private readonly options: TokenIssuerOptions) {}

  async issue(request: TokenRequest): Promise<string> {
    const { secrets, issuer, audience, maxLifetimeMs } = this.options;
    if (!(request.ttlMs > 0) || request.ttlMs > maxLifetimeMs) {
      throw new RangeError(`ttl must be between 1s and the hub's maximum token lifetime (${maxLifetimeMs / 1000}s)`);
    }
    if (isFederatedUserId(request.userId)) {
      throw new RangeError('a user id of the form <issuer>#<subject> is reserved for identities from members\' identity providers');
    }
    const unknown = request.roles.filter((r) => !ROLES.includes(r));
    if (unknown.length) throw new RangeError(`unknown role(s): ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.ceil(request.ttlMs / 1000);
    const jti = randomUUID();
    const token = await new SignJWT({ [MEMBER_CLAIM]: request.memberId, [ROLES_CLAIM]: [...request.roles] })
      .setProtectedHeader({ alg: 'EdDSA', kid: secrets.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(request.userId)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(secrets.signingKey);
    await this.options.onIssued?.({
      memberId: request.memberId,
      userId: request.userId,
      roles: [...request.roles],
      jti,
      issuedAt: new Date(now * 1000),
      expiresAt: new Date(exp * 1000),
    });
    return token;
  }
}
