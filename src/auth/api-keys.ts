/**
 * API keys on the wire: their format, how an `Authorization` header presents one, and how a
 * secret is compared with the stored hash. No I/O here: ApiKeyService stores and checks keys,
 * the Authenticator turns them into viewers.
 *
 * A key is `hubk_<id>_<secret>`: `hubk_` so that secret scanners and people recognise it, a
 * 16-hex-character id (8 random bytes) the hub looks the key up by, and a 43-character base64url
 * secret (32 random bytes). The hub stores `sha256(secret)` only.
 *
 * Why a plain SHA-256 and not a slow hash or an HMAC with a server-side pepper: the secret is 256
 * random bits, so a stolen hash cannot be brute-forced whatever the hash costs; a pepper would
 * only help low-entropy secrets, and it would be one more secret every hub instance sharing a
 * database must hold identically (lose it, and every key dies). A fast hash also means no
 * verification cache is needed: each request re-reads the key, so a revocation applies to the
 * very next request on every instance.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../domain/types.js';

export const API_KEY_PREFIX = 'hubk_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
/** The id is hex (no `_`), so the first `_` after it separates the id from the secret unambiguously. */
const API_KEY_FORMAT = /^hubk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_FORMAT = /^[0-9a-f]{16}$/;

/**
 * Why a key was refused; the text after "Invalid API key: ". An unknown id and a wrong secret
 * get the same reason on purpose: the answer must not tell whether a key id exists.
 */
export const API_KEY_REFUSALS = {
  malformed: `the key is malformed (expected ${API_KEY_PREFIX}<key id>_<secret>)`,
  unknown: 'the key is not recognised',
  revoked: 'the key has been revoked',
  expired: 'the key has expired',
} as const;

/** A new key: the only moment the secret exists outside the caller's hands. */
export interface MintedApiKey {
  id: string;
  /** The whole key, `hubk_<id>_<secret>`, to show once. */
  key: string;
  /** `sha256(secret)`, hex: what is stored. */
  secretHash: string;
}

/** What a verified key speaks for (ApiKeyService.verify, for the Authenticator). */
export interface ApiKeyCredential {
  keyId: string;
  memberId: string;
  /** The person the key acts as. */
  personId: string;
  roles: Role[];
  expiresAt: Date | null;
}

/**
 * A refused key. `message` is one of API_KEY_REFUSALS; `keyId` and `memberId` are for the log
 * and the audit log (the member only once the key id is known to exist), never the secret.
 */
export class ApiKeyRejection extends Error {
  override readonly name = 'ApiKeyRejection';

  constructor(
    reason: string,
    readonly keyId?: string,
    readonly memberId?: string,
  ) {
    super(reason);
  }
}

export function mintApiKey(): MintedApiKey {
  const id = randomBytes(ID_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, key: `${API_KEY_PREFIX}${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a well-formed key, or null. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const match = API_KEY_FORMAT.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** Whether `id` could be a key id (16 lowercase hex characters). */
export const isApiKeyId = (id: string): boolean => KEY_ID_FORMAT.test(id);

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares the secret's hash with the stored one in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** What an `Authorization` header presents. */
export type PresentedCredential =
  | { kind: 'jwt'; token: string }
  | { kind: 'api-key'; key: string }
  /** Not a form the hub accepts; `reason` says what is expected. */
  | { kind: 'refused'; reason: string };

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i;

/**
 * Reads a non-empty `Authorization` header:
 * - `Bearer hubk_...`: an API key; any other `Bearer <token>`: a JWT;
 * - `Basic base64(user:password)`: the password is an API key and the user name is ignored
 *   (SIEM connectors such as Sentinel's require one; put anything, e.g. the member id). For forms
 *   with a single "API key" field that ends up as the user name, `hubk_...:` (empty password)
 *   works too. Any other Basic credentials are refused: the hub has no passwords.
 */
export function readAuthorization(header: string): PresentedCredential {
  const bearer = BEARER.exec(header);
  if (bearer) {
    const token = bearer[1]!;
    return token.startsWith(API_KEY_PREFIX) ? { kind: 'api-key', key: token } : { kind: 'jwt', token };
  }
  const basic = BASIC.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon === -1 ? decoded : decoded.slice(0, colon);
    const password = colon === -1 ? '' : decoded.slice(colon + 1);
    const key = password === '' && user.startsWith(API_KEY_PREFIX) ? user : password;
    if (colon !== -1 && key.startsWith(API_KEY_PREFIX)) return { kind: 'api-key', key };
    return { kind: 'refused', reason: `Basic authentication takes an API key (${API_KEY_PREFIX}...) as the password; or send "Bearer <token or API key>"` };
  }
  return { kind: 'refused', reason: `the Authorization header must be "Bearer <token or API key>" or "Basic <user:API key>"` };
}
