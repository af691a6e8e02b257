import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The hub's own secrets, kept in its data directory (mode 0600), created on first use. */
export interface HubSecrets {
  /** Ed25519 private key that signs the hub's own tokens. */
  signingKey: CryptoKey;
  /** The matching public key that verifies them. */
  verifyKey: CryptoKey;
  /** Key id (JWK thumbprint) put in the token header. */
  kid: string;
  /** 32 bytes that seal pagination cursors. */
  cursorKey: Buffer;
}

const KEY_FILE = 'signing-key.jwk.json';
const CURSOR_FILE = 'cursor-secret';

/** Writes `content` unless the file exists; then (or on a lost race) returns what is on disk. */
function createOnce(path: string, make: () => string): string {
  try {
    writeFileSync(path, make(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(path, 'utf8');
}

/** Loads the data directory's secrets, creating the directory and any missing secret. */
export async function loadSecrets(dataDir: string): Promise<HubSecrets> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyPath = join(dataDir, KEY_FILE);
  let fresh: string | undefined;
  try {
    readFileSync(keyPath);
  } catch {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = 'EdDSA';
    fresh = JSON.stringify(jwk, null, 2);
  }
  const jwk = JSON.parse(createOnce(keyPath, () => fresh ?? '')) as JWK;
  if (!jwk.d || !jwk.x || !jwk.kid) throw new Error(`${keyPath} is not an Ed25519 private JWK`);
  const { d: _private, ...publicJwk } = jwk;
  const cursorSecret = createOnce(join(dataDir, CURSOR_FILE), () => randomBytes(32).toString('base64'));
  return {
    signingKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
    verifyKey: (await importJWK(publicJwk, 'EdDSA')) as CryptoKey,
    kid: jwk.kid,
    cursorKey: Buffer.from(cursorSecret.trim(), 'base64'),
  };
}
