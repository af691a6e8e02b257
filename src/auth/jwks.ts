import { importJWK } from 'jose';
import type { IdpAlgorithm, PublicJwk } from '../domain/types.js';

/** The key type and curve each accepted algorithm verifies with. */
export const KEY_TYPE_FOR: Readonly<Record<IdpAlgorithm, { kty: string; crv: string }>> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  ES256: { kty: 'EC', crv: 'P-256' },
};

/** Most keys an inline JWK Set may hold. */
export const MAX_INLINE_KEYS = 20;
/** Largest inline JWK Set accepted, as JSON text, in characters. */
export const MAX_INLINE_JWKS_CHARS = 64 * 1024;

/** JWK members that carry secret or private material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Why an inline JWK Set was refused; the message is written for the member registering it. */
export class JwksProblem extends Error {
  override readonly name = 'JwksProblem';
}

/**
 * Checks an inline JWK Set (an object, or its JSON text) for registration and returns it with
 * only the public members kept (kty, crv, x, y, kid, alg, use). Every key must be a public key
 * usable with one of `algorithms`; a key with any private or secret member (`d`, `k`, ...) is
 * refused, not stripped, since its owner has just leaked it. With several keys, each needs a
 * distinct `kid`, so that a token can name the one that signed it.
 * Throws JwksProblem.
 */
export async function parsePublicJwkSet(input: unknown, algorithms: readonly IdpAlgorithm[]): Promise<{ keys: PublicJwk[] }> {
  let set = input;
  if (typeof input === 'string') {
    if (input.length > MAX_INLINE_JWKS_CHARS) throw new JwksProblem(`the JWK Set is larger than ${MAX_INLINE_JWKS_CHARS} characters`);
    try {
      set = JSON.parse(input);
    } catch {
      throw new JwksProblem('the JWK Set is not valid JSON');
    }
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (typeof set !== 'object' || set === null || !Array.isArray(keys)) throw new JwksProblem('a JWK Set is an object with a "keys" array');
  if (keys.length === 0) throw new JwksProblem('the JWK Set has no keys');
  if (keys.length > MAX_INLINE_KEYS) throw new JwksProblem(`the JWK Set has more than ${MAX_INLINE_KEYS} keys`);

  const out: PublicJwk[] = [];
  const kids = new Set<string>();
  for (const [i, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new JwksProblem(`key ${i} is not a JSON object`);
    const jwk = key as Record<string, unknown>;
    const secret = SECRET_MEMBERS.find((m) => m in jwk);
    if (secret === 'k') throw new JwksProblem(`key ${i} is a symmetric key ("k"): register public keys only`);
    if (secret) throw new JwksProblem(`key ${i} holds private key material ("${secret}"): register public keys only`);
    const alg = algorithms.find((a) => KEY_TYPE_FOR[a].kty === jwk.kty && KEY_TYPE_FOR[a].crv === jwk.crv);
    if (!alg) {
      const wanted = algorithms.map((a) => `${KEY_TYPE_FOR[a].kty}/${KEY_TYPE_FOR[a].crv} (${a})`).join(' or ');
      throw new JwksProblem(`key ${i} is not a ${wanted} key`);
    }
    if (jwk.alg !== undefined && jwk.alg !== alg) throw new JwksProblem(`key ${i} declares "alg" other than ${alg}`);
    if (jwk.use !== undefined && jwk.use !== 'sig') throw new JwksProblem(`key ${i} is not a signing key ("use" must be "sig")`);
    if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) throw new JwksProblem(`key ${i} has an empty or non-string "kid"`);
    if (typeof jwk.kid === 'string') {
      if (kids.has(jwk.kid)) throw new JwksProblem(`key ${i} repeats the kid of an earlier key`);
      kids.add(jwk.kid);
    } else if (keys.length > 1) {
      throw new JwksProblem(`key ${i} has no "kid": with several keys, each needs a distinct kid`);
    }
    const kept: PublicJwk = { kty: jwk.kty as string, crv: jwk.crv as string };
    for (const member of ['x', 'y', 'kid', 'alg', 'use'] as const) {
      if (typeof jwk[member] === 'string') kept[member] = jwk[member] as string;
    }
    try {
      await importJWK({ ...kept }, alg);
    } catch {
      throw new JwksProblem(`key ${i} is not a valid ${kept.kty}/${kept.crv} public key`);
    }
    out.push(kept);
  }
  return { keys: out };
}
