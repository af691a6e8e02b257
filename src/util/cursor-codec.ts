import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Seals pagination cursors (AES-256-GCM) so they are opaque and bound to what minted them: a
 * cursor opened with another `binding` (another viewer, another ordering) opens to nothing.
 */
export class CursorCodec {
  /** Recently sealed cursors: re-issuing one for the same binding and values is as safe as sealing anew. */
  private readonly recent: LRUCache<string, string>;

  /** @param cacheSize recently sealed cursors kept for re-issue, least recently used first out. Default 20,000. */
  constructor(private readonly key: Buffer, cacheSize = 20_000) {
    if (key.length !== 32) throw new RangeError('cursor key must be 32 bytes');
    this.recent = new LRUCache({ max: cacheSize });
  }

  seal(binding: string, values: readonly unknown[]): string {
    const cacheKey = `${binding}\u0000${JSON.stringify(values.map(encode))}`;
    const cached = this.recent.get(cacheKey);
    if (cached !== undefined) return cached;
    const cursor = this.sealFresh(binding, values);
    this.recent.set(cacheKey, cursor);
    return cursor;
  }

  private sealFresh(binding: string, values: readonly unknown[]): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(binding));
    const body = Buffer.concat([cipher.update(JSON.stringify(values.map(encode))), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The values sealed under `binding`, or null for anything else (tampered, foreign, garbage). */
  open(binding: string, cursor: string): unknown[] | null {
    try {
      const raw = Buffer.from(cursor, 'base64url');
      if (raw.length < 29) return null;
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(binding));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const values = JSON.parse(text) as unknown;
      return Array.isArray(values) ? values.map(decode) : null;
    } catch {
      return null;
    }
  }
}

function encode(v: unknown): unknown {
  return v instanceof Date ? { d: v.getTime() } : v;
}

function decode(v: unknown): unknown {
  return v && typeof v === 'object' && 'd' in v ? new Date((v as { d: number }).d) : v;
}
