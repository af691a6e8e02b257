import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import type { IdentityProviderRegistration } from '../domain/types.js';
import { createGuardedFetch, type Resolve } from './guarded-fetch.js';

/** How the hub fetches a member's JWK Set from its `jwksUri`. */
export interface RemoteJwksOptions {
  /** Abort a fetch after this long, ms. Default 5,000. */
  timeoutMs?: number;
  /** After a fetch, an unknown `kid` does not trigger another one for this long, ms. Default 30,000. */
  cooldownMs?: number;
  /** Refetch a key set older than this, ms. Default 600,000. */
  cacheMaxAgeMs?: number;
  /**
   * Whether JWKS URLs may reach loopback and private addresses (`HUB_IDP_ALLOW_PRIVATE_HOSTS`).
   * Default false: every fetch connects only to public addresses, checked when connecting.
   */
  allowPrivateHosts?: boolean;
  /** Resolves JWKS host names. Default `dns.lookup`. */
  resolve?: Resolve;
}

/**
 * Everything about a registration that changes how its tokens verify or whom they count as. Two
 * registrations with the same fingerprint accept exactly the same tokens, as the same member and persons.
 */
export function registrationFingerprint(r: IdentityProviderRegistration): string {
  // Who registered it too: its identities count as those persons (policy `isSamePerson`).
  return JSON.stringify([r.memberId, r.issuer, r.audience, r.jwksUri, r.jwks, r.rolesClaim, [...r.allowedAlgorithms].sort(), r.registeredBy ?? null]);
}

const keysFingerprint = (r: IdentityProviderRegistration): string => JSON.stringify([r.jwksUri, r.jwks]);

/**
 * The key source of each registered issuer: the registration's inline keys, or its remote JWK
 * Set (fetched, cached and refetched by jose). Built on first use, rebuilt when the registration's
 * keys change, so a remote set is not refetched on every token.
 */
export class FederatedKeySets {
  private readonly byIssuer = new Map<string, { fingerprint: string; getKey: JWTVerifyGetKey }>();

  private readonly fetch: ReturnType<typeof createGuardedFetch>;

  constructor(private readonly remote: RemoteJwksOptions = {}) {
    this.fetch = createGuardedFetch({ allowPrivateHosts: remote.allowPrivateHosts ?? false, ...(remote.resolve ? { resolve: remote.resolve } : {}) });
  }

  /** The key source for this registration's tokens: its keys only, never another issuer's. */
  for(registration: IdentityProviderRegistration): JWTVerifyGetKey {
    const fingerprint = keysFingerprint(registration);
    const cached = this.byIssuer.get(registration.issuer);
    if (cached?.fingerprint === fingerprint) return cached.getKey;
    const getKey = registration.jwks
      ? createLocalJWKSet(registration.jwks)
      : createRemoteJWKSet(new URL(registration.jwksUri!), {
          timeoutDuration: this.remote.timeoutMs ?? 5_000,
          cooldownDuration: this.remote.cooldownMs ?? 30_000,
          cacheMaxAge: this.remote.cacheMaxAgeMs ?? 600_000,
          // Checks the address actually connected to, and refuses redirects (see createGuardedFetch).
          [customFetch]: this.fetch,
        });
    this.byIssuer.set(registration.issuer, { fingerprint, getKey });
    return getKey;
  }

  /** Drops the key source of an issuer that is no longer registered. */
  forget(issuer: string): void {
    this.byIssuer.delete(issuer);
  }
}
