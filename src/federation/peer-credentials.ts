import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedCredential } from '../domain/peer.js';

/**
 * Seals the API keys peers issued to this hub (AES-256-GCM, a fresh nonce each time) under a key
 * derived from the hub's cursor key (HKDF, its own label, so neither key opens the other's data).
 * The store, its backups and exports hold only the sealed form; the key itself is opened only
 * in memory by the puller that presents it. The peer's id is bound in as associated data: a
 * sealed credential copied onto another peer does not open.
 */
export class PeerCredentials {
  private readonly key: Buffer;

  constructor(hubKey: Buffer) {
    if (hubKey.length !== 32) throw new RangeError('the hub key must be 32 bytes');
    this.key = Buffer.from(hkdfSync('sha256', hubKey, Buffer.alloc(0), 'hub peer credential: encryption', 32));
  }

  seal(peerId: string, secret: string): SealedCredential {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(peerId));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'), hint: hintOf(secret) };
  }

  /** The key, or null when it does not open (another hub's secrets, another peer's credential, tampered). */
  open(peerId: string, credential: SealedCredential): string | null {
    try {
      const raw = Buffer.from(credential.sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(peerId));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

/** A key's public part, enough to tell keys apart (`hubk_<key id>`), never its secret part. */
function hintOf(secret: string): string {
  const m = /^(hubk_[A-Za-z0-9-]{1,40})_/.exec(secret);
  return m ? m[1]! : 'hubk_?';
}
