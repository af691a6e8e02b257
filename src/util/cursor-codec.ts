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

/**
 * Numbers are sealed at a fixed width: a sealed cursor's length follows its plaintext's, and a
 * sequence number (`seq` counts every member's writes) written in more digits would let its
 * holder watch hidden writes accumulate in the length of the cursors it is given.
 */
const WIDTH = 16;
const fixed = (n: number): string => (n < 0 ? '-' : '+') + Math.abs(n).toString().padStart(WIDTH, '0');
const isFixable = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function encode(v: unknown): unknown {
  if (v instanceof Date) return { d: fixed(v.getTime()) };
  return isFixable(v) ? { n: fixed(v) } : v;
}

function decode(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  if ('d' in v) return new Date(Number((v as { d: number | string }).d));
  if ('n' in v) return Number((v as { n: string }).n);
  return v;
}
