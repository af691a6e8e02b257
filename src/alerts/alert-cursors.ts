import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { viewerId, type Viewer } from '../policy/policy.js';

/** A subscriber's place in the alert log, as its cursor carries it. */
export interface AlertPlace {
  /** The log position of the last event delivered (or where the subscription started). */
  position: number;
  /**
   * When the log must still hold everything after `position` for a resume to be complete
   * (ms since epoch): the event's own time, or a heartbeat's time less a settling margin.
   * A cursor expires when this falls out of the log's retention.
   */
  at: number;
}

const VERSION = 1;
/** version, position (6 bytes: 2^48 events), at (8 bytes). Fixed: a cursor's length says nothing. */
const PLAIN_BYTES = 1 + 6 + 8;
/** nonce (12) + tag (16) + body, in base64url. */
const CURSOR_CHARS = Math.ceil(((12 + 16 + PLAIN_BYTES) * 4) / 3);

/**
 * Seals alert cursors: opaque (AES-256-GCM), bound to the viewer they were given to (the member,
 * or `anonymous`: `viewerId`), and of one fixed length. The nonce is derived from the binding and
 * the place (a synthetic IV, as in AES-GCM-SIV), so sealing is deterministic: the same place gives
 * the same cursor to every subscriber of one member, a heartbeat repeats the cursor of the event
 * it follows, and cohorts still render once. Keys are derived from the hub's cursor key, apart
 * from those of connection cursors (src/util/cursor-codec.ts): neither opens the other.
 */
export class AlertCursors {
  private readonly encKey: Buffer;
  private readonly ivKey: Buffer;

  constructor(cursorKey: Buffer) {
    if (cursorKey.length !== 32) throw new RangeError('cursor key must be 32 bytes');
    this.encKey = Buffer.from(hkdfSync('sha256', cursorKey, Buffer.alloc(0), 'hub alert cursor: encryption', 32));
    this.ivKey = Buffer.from(hkdfSync('sha256', cursorKey, Buffer.alloc(0), 'hub alert cursor: nonce', 32));
  }

  seal(viewer: Viewer, place: AlertPlace): string {
    const binding = Buffer.from(viewerId(viewer));
    const plain = Buffer.alloc(PLAIN_BYTES);
    plain.writeUInt8(VERSION, 0);
    plain.writeUIntBE(place.position, 1, 6);
    plain.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(place.at))), 7);
    const iv = createHmac('sha256', this.ivKey).update(binding).update(plain).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(binding);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The place sealed for this viewer's binding, or null for anything else (another viewer's, tampered, garbage). */
  open(viewer: Viewer, cursor: string): AlertPlace | null {
    if (cursor.length !== CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
    try {
      const raw = Buffer.from(cursor, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.encKey, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(viewerId(viewer)));
      decipher.setAuthTag(raw.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
      if (plain.length !== PLAIN_BYTES || plain.readUInt8(0) !== VERSION) return null;
      return { position: plain.readUIntBE(1, 6), at: Number(plain.readBigUInt64BE(7)) };
    } catch {
      return null;
    }
  }
}
