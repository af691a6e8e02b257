/**
 * Pulls one peer hub's `alerts` over graphql-ws (docs/federation.md, "How a peer is pulled"):
 * subscribes with the stored cursor (`after`), stores each batch of events as claims of the peer
 * member with provenance, then stores the batch's last cursor. Exactly-once and in order: events
 * are handled one batch at a time in the order the peer sent them; the cursor is written after
 * the records it covers, and those writes are idempotent on (origin hub, origin id, version), so
 * the events replayed after a crash between the two write nothing new.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { PeerPull, RecordOrigin } from '../domain/peer.js';
import type { IndicatorType, NoticeCategory, NoticeStatus, Severity, Tlp } from '../domain/types.js';
import { receivedRecordRefusal } from '../policy/policy.js';
import type { ReceivedIndicator } from '../services/indicator-service.js';
import type { NoticeInput } from '../domain/types.js';

/** The puller's runtime state, shown by `peers` (GraphQL `Peer`). */
export interface PullerState {
  status: 'CONNECTING' | 'LIVE' | 'BACKING_OFF';
  received: number;
  refused: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastEventAt: Date | null;
  lastReceivedAt: Date | null;
  /** Seconds from the last event's time at the peer to its storing here. */
  lagSeconds: number | null;
}

/** Where a batch goes: the hub's services, handed in by the pullers' manager. */
export interface PullerSink {
  indicators(source: string, items: ReceivedIndicator[]): Promise<{ stored: number; refused: number }>;
  /** Whether it wrote anything (false: a version already held). */
  notice(source: string, item: { input: NoticeInput; status: NoticeStatus; origin: RecordOrigin }): Promise<boolean>;
  /** Stores the cursor of the last event handled (and when it happened), after the records it covers. */
  saveCursor(peerId: string, cursor: string, lastEventAt: Date | null, receivedAt: Date): Promise<void>;
}

export interface PeerPullerOptions {
  /** The peer's member id here: the `source` of what it sends, and its hub id. */
  peerId: string;
  /** The peer's GraphQL URL (http(s)); the socket goes to ws(s) on the same path. */
  url: string;
  /** The API key the peer issued to this hub, opened in memory only. */
  credential: string;
  pull: PeerPull;
  /** Whether what this peer sends may be shared onward (the peer's `shareOnward`). */
  shareOnward: boolean;
  /** Where the subscription resumes; null: live from now. */
  cursor: string | null;
  /** This hub's HUB_ID: a record originating here is never stored back. */
  hubId: string;
  /** HUB_MAX_HOPS. */
  maxHops: number;
  sink: PullerSink;
  /** Hears what failed, described (a close code and reason, a message; never the credential). */
  onError: (error: string, peerId: string) => void;
  /** First retry delay, ms; doubles up to `maxBackoffMs`. Default 250 ms. */
  backoffMs?: number;
  /** Default 30 s. */
  maxBackoffMs?: number;
  /** The clock of provenance and lag. Default `Date.now`. */
  clock?: () => number;
}

/** What the puller asks of each event: every field a member of the peer's tier may see, provenance included. */
export const PEER_ALERTS = /* GraphQL */ `
  subscription PeerPull($after: String, $filter: AlertFilter) {
    alerts(after: $after, filter: $filter, heartbeats: true) {
      cursor type occurredAt
      indicator {
        id type value submittedValue tlp severity confidence validFrom validUntil tags description revoked updatedAt
        source { id }
        origin { hub id publisher hops tlp shareOnward }
      }
      notice {
        id title summary model { name developer version } category severity tlp status embargoUntil
        atlasTechniques owaspLlm mitigations technicalDetails evaluationEvidence affectedDeployments updatedAt
        source { id }
        origin { hub id publisher hops tlp shareOnward }
      }
    }
  }`;

interface WireOrigin { hub: string; id: string; publisher: string | null; hops: number; tlp: Tlp; shareOnward: boolean }
interface WireIndicator {
  id: string; type: IndicatorType; value: string; submittedValue: string; tlp: Tlp; severity: Severity; confidence: number;
  validFrom: string; validUntil: string | null; tags: string[]; description: string | null; revoked: boolean; updatedAt: string;
  source: { id: string } | null; origin: WireOrigin | null;
}
interface WireNotice {
  id: string; title: string; summary: string; model: { name: string; developer: string; version: string | null }; category: NoticeCategory;
  severity: Severity; tlp: Tlp; status: NoticeStatus; embargoUntil: string | null; atlasTechniques: string[]; owaspLlm: string[];
  mitigations: string | null; technicalDetails: string | null; evaluationEvidence: string | null; affectedDeployments: string[] | null;
  updatedAt: string; source: { id: string } | null; origin: WireOrigin | null;
}
interface WireEvent { cursor: string; type: string; occurredAt: string; indicator: WireIndicator | null; notice: WireNotice | null }

/** The event types that carry a record's content; SIGHTED is the peer's own business (counts are not copied). */
const CONTENT_TYPES = ['PUBLISHED', 'UPDATED', 'REVOKED', 'RELEASED'];

export class PeerPuller {
  readonly state: PullerState = {
    status: 'CONNECTING', received: 0, refused: 0, lastError: null, lastErrorAt: null, lastEventAt: null, lastReceivedAt: null, lagSeconds: null,
  };
  private client: Client | null = null;
  private unsubscribe: (() => void) | null = null;
  private cursor: string | null;
  private queue: WireEvent[] = [];
  private draining: Promise<void> | null = null;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;

  constructor(private readonly options: PeerPullerOptions) {
    this.cursor = options.cursor;
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.connect();
  }

  /** Stops pulling; resolves once the batch being stored (if any) is stored with its cursor. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.unsubscribe?.();
    this.queue = [];
    await this.draining;
    await this.client?.dispose();
    this.client = null;
  }

  private connect(): void {
    if (this.stopped) return;
    this.state.status = 'CONNECTING';
    const url = this.options.url.replace(/^http/, 'ws');
    const client = (this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      // Failures reach the subscription's sink (and `fail`); graphql-ws would print them otherwise.
      onNonLazyError: () => {},
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${this.options.credential}` },
      on: { connected: () => (this.state.status = 'LIVE') },
    }));
    const { pull } = this.options;
    const filter = { kinds: pull.kinds, types: CONTENT_TYPES, ...(pull.minSeverity ? { minSeverity: pull.minSeverity } : {}), ...(pull.tags.length ? { tags: pull.tags } : {}) };
    let ended = false;
    const end = (err: unknown) => {
      if (ended) return;
      ended = true;
      this.unsubscribe = null;
      void client.dispose();
      if (this.client === client) this.client = null;
      if (this.stopped) return;
      this.fail(err);
    };
    this.unsubscribe = client.subscribe<{ alerts: WireEvent }>(
      { query: PEER_ALERTS, variables: { after: this.cursor, filter } },
      {
        next: (result) => {
          if (result.errors?.length) return end(new PeerError(result.errors));
          const event = result.data?.alerts;
          if (!event) return;
          this.failures = 0;
          this.queue.push(event);
          this.drain();
        },
        error: (err) => end(err),
        complete: () => end(new Error('the peer ended the subscription')),
      },
    );
  }

  /** Records the failure and tries again after a growing delay (with jitter). */
  private fail(err: unknown): void {
    const expired = err instanceof PeerError && err.code === 'CURSOR_EXPIRED';
    if (expired) {
      // The peer no longer keeps what followed our cursor: go on live, and say so.
      this.cursor = null;
    }
    this.state.status = 'BACKING_OFF';
    this.state.lastError = expired ? 'the stored cursor expired at the peer: resumed live; records published at the peer meanwhile were not pulled' : describe(err);
    this.state.lastErrorAt = new Date(this.clock());
    this.options.onError(this.state.lastError, this.options.peerId);
    const base = this.options.backoffMs ?? 250;
    const delay = Math.min(this.options.maxBackoffMs ?? 30_000, base * 2 ** Math.min(this.failures++, 16));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      // Resume only once what arrived before the failure is stored: its cursor is then the place.
      void (this.draining ?? Promise.resolve()).then(() => this.connect());
    }, delay * (0.5 + Math.random() / 2));
    this.retryTimer.unref();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      try {
        while (this.queue.length > 0 && !this.stopped) {
          const batch = this.queue.splice(0, this.queue.length);
          await this.store(batch);
        }
      } catch (err) {
        // Storing failed: the cursor stays before this batch; reconnecting replays it.
        this.queue = [];
        this.unsubscribe?.();
        this.unsubscribe = null;
        const client = this.client;
        this.client = null;
        void client?.dispose();
        this.draining = null;
        if (!this.stopped) this.fail(err);
        return;
      }
      this.draining = null;
    })();
  }

  /** Stores one batch in order, then its last cursor. */
  private async store(batch: WireEvent[]): Promise<void> {
    const { peerId, sink } = this.options;
    const now = new Date(this.clock());
    const indicators: ReceivedIndicator[] = [];
    let refused = 0;
    let stored = 0;
    const flush = async () => {
      if (!indicators.length) return;
      const out = await sink.indicators(peerId, indicators.splice(0));
      stored += out.stored;
      refused += out.refused;
    };
    for (const event of batch) {
      if (event.indicator) {
        const origin = this.originOf(event.indicator, now);
        if (origin) indicators.push({ input: indicatorInput(event.indicator), origin, revoked: event.indicator.revoked });
        else refused++;
      } else if (event.notice) {
        await flush(); // in order: the indicators before this notice first
        const origin = this.originOf(event.notice, now);
        if (!origin) refused++;
        else {
          if (await sink.notice(peerId, { input: noticeInput(event.notice), status: event.notice.status, origin })) stored++;
        }
      }
    }
    await flush();
    const last = batch[batch.length - 1]!;
    const lastContent = [...batch].reverse().find((e) => e.indicator || e.notice);
    const lastEventAt = lastContent ? new Date(lastContent.occurredAt) : this.state.lastEventAt;
    await sink.saveCursor(peerId, last.cursor, lastEventAt, now);
    this.cursor = last.cursor;
    this.state.received += stored;
    this.state.refused += refused;
    if (lastContent) {
      this.state.lastEventAt = lastEventAt;
      this.state.lastReceivedAt = now;
      this.state.lagSeconds = Math.max(0, (now.getTime() - lastEventAt!.getTime()) / 1000);
    }
  }

  /** The record's provenance here, or null when it may not be stored (`receivedRecordRefusal`). */
  private originOf(record: { id: string; tlp: Tlp; updatedAt: string; source: { id: string } | null; origin: WireOrigin | null }, now: Date): RecordOrigin | null {
    const { peerId, hubId, maxHops, shareOnward } = this.options;
    const o = record.origin;
    const origin: RecordOrigin = {
      hub: o?.hub ?? peerId,
      id: o?.id ?? record.id,
      publisher: o ? o.publisher : (record.source?.id ?? null),
      hops: (o?.hops ?? 0) + 1,
      tlp: record.tlp,
      shareOnward: shareOnward && (o ? o.shareOnward : true),
      receivedFrom: peerId,
      receivedAt: now,
      version: Date.parse(record.updatedAt),
    };
    return receivedRecordRefusal(origin, hubId, maxHops) === null ? origin : null;
  }
}

function indicatorInput(i: WireIndicator): ReceivedIndicator['input'] {
  return {
    value: i.submittedValue || i.value,
    type: i.type,
    tlp: i.tlp,
    severity: i.severity,
    confidence: i.confidence,
    validFrom: new Date(i.validFrom),
    validUntil: i.validUntil ? new Date(i.validUntil) : null,
    tags: i.tags,
    description: i.description,
  };
}

function noticeInput(n: WireNotice): NoticeInput {
  return {
    title: n.title,
    summary: n.summary,
    model: n.model,
    category: n.category,
    severity: n.severity,
    tlp: n.tlp,
    embargoUntil: n.embargoUntil ? new Date(n.embargoUntil) : null,
    atlasTechniques: n.atlasTechniques,
    owaspLlm: n.owaspLlm,
    // Fields gated above the peer's tier there arrive as null: they stay null here.
    mitigations: n.mitigations,
    technicalDetails: n.technicalDetails,
    evaluationEvidence: n.evaluationEvidence,
    affectedDeployments: n.affectedDeployments ?? [],
  };
}

/** A GraphQL error the peer answered (its `extensions.code`). */
class PeerError extends Error {
  readonly code: string | undefined;
  constructor(errors: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>) {
    super(errors.map((e) => e.message).join('; '));
    this.code = errors[0]?.extensions?.code as string | undefined;
  }
}

/** What `peers` shows of a failure: the message, clipped; a close event's code and reason. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message.slice(0, 500);
  const close = err as { code?: number; reason?: string } | null;
  if (close && typeof close.code === 'number') return `the socket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`;
  return String(err).slice(0, 500);
}
