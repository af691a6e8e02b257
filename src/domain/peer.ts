/**
 * Federation (issue 15, docs/federation.md): a peer hub is a member of kind HUB. This hub pulls
 * the peer's `alerts` with the credential the peer issued to it and stores what arrives as claims
 * of the peer member, with provenance (`RecordOrigin`); the peer receives from this hub what a
 * member of its tier sees, minus what never leaves a hub (the policy's "Federation" section).
 */
import type { Severity, Tlp } from './types.js';

/** The record kinds a peer's records are pulled as (alerts' `AlertRecordKind` names). */
export const PEER_KINDS = ['INDICATOR', 'MODEL_RISK_NOTICE'] as const;
export type PeerKind = (typeof PEER_KINDS)[number];

/** Where a peer's puller stands (GraphQL `PeerStatus`). PENDING and PAUSED and REMOVED are stored; the rest are the puller's. */
export const PEER_STATUSES = ['PENDING', 'CONNECTING', 'LIVE', 'BACKING_OFF', 'PAUSED', 'REMOVED'] as const;
export type PeerStatus = (typeof PEER_STATUSES)[number];

/** What this hub pulls from a peer: narrows, never widens, what the peer sends. */
export interface PeerPull {
  kinds: PeerKind[];
  minSeverity: Severity | null;
  /** Any of these (indicators), lower-cased. */
  tags: string[];
}

/**
 * The peer's API key, sealed with AES-256-GCM under a key derived from this hub's cursor key
 * (`PeerCredentials`, src/federation/peer-credentials.ts): a backup or export of the store holds
 * only this; no field, log line or audit entry ever holds the key itself.
 */
export interface SealedCredential {
  /** base64url: 12-byte nonce, 16-byte tag, ciphertext. */
  sealed: string;
  /** The key's public prefix (`hubk_<id>`... up to its first `_` after the id) to tell keys apart; never the secret. */
  hint: string;
}

/**
 * A peer's pull settings and state, kept on its member (`Member.peer`): one document, so the
 * peer is exactly as durable, backed up and exported as the member.
 */
export interface PeerConfig {
  /** The peer's GraphQL endpoint (http or https); alerts are pulled over ws(s) on the same URL. */
  url: string;
  /** Null once removed (the credential is wiped). */
  credential: SealedCredential | null;
  pull: PeerPull;
  /** Whether records received from this peer may be shared onward to other peers (default false). */
  shareOnward: boolean;
  /** The REGISTER_PEER request awaiting a second hub-admin; null once approved (only then is the peer pulled). */
  requestId: string | null;
  /** Set by pausePeer, cleared by resumePeer. */
  paused: boolean;
  /** Set by removePeer. */
  removedAt: Date | null;
  /**
   * The last `AlertEvent.cursor` of the peer whose records are stored here (opaque, the peer's):
   * the next subscription resumes after it. Written after the records it covers; a replay of the
   * events after the last cursor written is harmless (writes are idempotent on origin, id, version).
   */
  cursor: string | null;
  /** When the event at `cursor` happened at the peer, and when it was stored here. */
  lastEventAt: Date | null;
  lastReceivedAt: Date | null;
  createdAt: Date;
}

/**
 * Where a record received from a peer came from: set on indicators and notices stored by the
 * puller (absent or null on this hub's own records). The policy reads `hub`, `hops` and
 * `shareOnward` to decide whether it leaves again (`peerExclusion`).
 */
export interface RecordOrigin {
  /** The hub it was first published on (its HUB_ID). */
  hub: string;
  /** Its id on that hub. */
  id: string;
  /** The original publisher's member id at the origin, where the sending peer let it be seen (TRUSTED there); else null. */
  publisher: string | null;
  /** Hubs crossed to get here: 1 straight from its origin. */
  hops: number;
  /** Its TLP as received. */
  tlp: Tlp;
  /** Whether it may leave this hub for another peer: the receiving side's `shareOnward` for the peer, and the sender's. */
  shareOnward: boolean;
  /** The peer member it was received from. */
  receivedFrom: string;
  receivedAt: Date;
  /** The record's version at its origin (its `updatedAt` there, ms): a replay of a version already stored writes nothing. */
  version: number;
}

/** The default of `HUB_MAX_HOPS`: a record crosses at most this many hubs from its origin. */
export const DEFAULT_MAX_HOPS = 3;

/** Tags a peer's pull may name. */
export const MAX_PEER_TAGS = 20;
