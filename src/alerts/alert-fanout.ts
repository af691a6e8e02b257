/**
 * The live-alert fan-out: turns events from the log into `alerts` deliveries. It coordinates the
 * parts, each in its own file (docs/alerts.md, "Inside the fan-out"):
 *
 * - alert-request.ts: the subscription's arguments, read once;
 * - alert-cursors.ts: cursors sealed for the viewer;
 * - alert-cohorts.ts: cohort planning (subscribers who receive identical bytes);
 * - alert-judge.ts: records and viewers as they are now, and the policy's verdict;
 * - alert-filter.ts: the subscriber's own filter;
 * - alert-renderer.ts: executing a cohort's document once per event;
 * - alert-subscriber.ts: delivery to one subscriber through its AlertSink (alert-sink.ts);
 * - alert-replay.ts: the resume state machine.
 */
import type { IndicatorDoc } from '../domain/types.js';
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { EventDoc } from '../domain/events.js';
import { hubError } from '../errors.js';
import { viewerId, visibilityKey, type Viewer } from '../policy/policy.js';
import type { Store } from '../store/ports.js';
import { AlertCohorts, type Cohort } from './alert-cohorts.js';
import { AlertCursors, type AlertPlace } from './alert-cursors.js';
import { matchesAlertFilter } from './alert-filter.js';
import { AlertJudge, type AlertRecord } from './alert-judge.js';
import type { AlertObserver } from './alert-observer.js';
import { AlertRenderer, type AlertResultFormat } from './alert-renderer.js';
import { replayAlerts } from './alert-replay.js';
import { readAlertArguments, type AlertRequest } from './alert-request.js';
import type { AlertSink } from './alert-sink.js';
import { AlertSubscriber, type Delivery } from './alert-subscriber.js';

export type { AlertEventValue } from './alert-event-value.js';
export type { AlertFilterInput } from './alert-filter.js';
export type { AlertRequest } from './alert-request.js';
export type { AlertSink } from './alert-sink.js';

export interface AlertFanoutOptions {
  /** The hub's schema (with its `@minTier` gates): cohorts' documents are executed against it. */
  schema: GraphQLSchema;
  /** The event log, the records and the member registry (read for every dispatch round: current tiers and roles). */
  store: Pick<Store, 'events' | 'indicators' | 'notices' | 'vulnerabilities' | 'modelReviews' | 'members' | 'communities'>;
  /** Where failed dispatches, replays and heartbeats are reported (error level: they are the hub's own failures). */
  log: Logger;
  /** A fresh request context for executing a cohort's document as its viewer. */
  contextFor: (viewer: Viewer) => object;
  /** The edge's format step for a result (masking, `extensions.redacted`); the context is `contextFor`'s. */
  format: AlertResultFormat;
  /** The hub's 32-byte cursor key; alert cursors use keys derived from it. */
  cursorKey: Buffer;
  /** How long the log keeps events, ms: a cursor whose time is older is CURSOR_EXPIRED. Default 7 days. */
  retentionMs?: number;
  /** Bytes a socket may have queued before its subscriber is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Events a resuming subscriber may have waiting while it replays. Default 10,000. */
  maxPendingEvents?: number;
  /** Interval of HEARTBEAT events (to subscribers who asked for them), ms; 0 turns the timer off. Default 15 s. */
  heartbeatMs?: number;
  /** Hears live deliveries (their lag) and slow-consumer closes; replayed events are not reported. Default none. */
  observer?: AlertObserver;
  /** The clock of heartbeats, cursor expiry and verdicts (what a record's sharing is judged at now), ms since epoch. Default `Date.now`. */
  clock?: () => number;
  /** Whether an indicator is on a false-positive warning list that applies for the subscriber (AlertFilter.excludeWarned). Default: none is. */
  warned?: (indicator: IndicatorDoc, viewer: Viewer) => boolean;
}

/** Events judged per dispatch round; a socket's messages of one round leave in one write. */
const DISPATCH_BATCH = 32;
/**
 * How far back a heartbeat's cursor vouches for the log: events reach the fan-out a little after
 * they are appended (the bus, change streams), so a heartbeat at `t` keeps the place for events
 * from `t` less this margin on. At most a tenth of the retention.
 */
const HEARTBEAT_SETTLE_MS = 60_000;

export class AlertFanout {
  private readonly cohorts = new AlertCohorts();
  private readonly cursors: AlertCursors;
  private readonly judge: AlertJudge;
  private readonly renderer: AlertRenderer;
  private readonly queue: EventDoc[] = [];
  private draining = false;
  /** Highest position fully dispatched: where a live-only subscription starts. */
  private head = 0;
  private readonly heartbeatTimer: NodeJS.Timeout | null;
  private readonly retentionMs: number;
  private readonly settleMs: number;
  private readonly clock: () => number;
  private readonly limits: { maxBufferedBytes: number; maxPendingEvents: number };

  constructor(private readonly options: AlertFanoutOptions) {
    this.cursors = new AlertCursors(options.cursorKey);
    this.clock = options.clock ?? Date.now;
    this.judge = new AlertJudge(options.store, this.clock);
    this.renderer = new AlertRenderer(options.schema, options.contextFor, options.format);
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.settleMs = Math.min(HEARTBEAT_SETTLE_MS, this.retentionMs / 10);
    this.limits = { maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024, maxPendingEvents: options.maxPendingEvents ?? 10_000 };
    const every = options.heartbeatMs ?? 15_000;
    this.heartbeatTimer = every > 0 ? setInterval(() => void this.heartbeat(), every) : null;
    this.heartbeatTimer?.unref();
  }

  /** Starts at the log's current end, so that events already there are not delivered live. */
  async start(): Promise<void> {
    this.head = (await this.options.store.events.bounds()).latest;
  }

  stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const cohort of this.cohorts.values()) for (const sub of cohort.subscribers) sub.finish();
    this.cohorts.clear();
  }

  /** Subscribers and cohorts right now (for metrics and the bench). */
  stats(): { subscribers: number; groups: number } {
    let subscribers = 0;
    for (const c of this.cohorts.values()) subscribers += c.subscribers.size;
    return { subscribers, groups: this.cohorts.size };
  }

  /** Feed from the event bus: events in position order. */
  onEvents(events: readonly EventDoc[]): void {
    this.queue.push(...events);
    if (!this.draining) void this.drain();
  }

  /**
   * Reads an `alerts` operation's arguments once, for `viewer`: its request, or the errors that
   * refuse it. An `after` not sealed for this viewer (another member's, forged, a number) is
   * BAD_USER_INPUT with one message whatever it holds; CURSOR_EXPIRED is only for a cursor this
   * viewer was given whose time fell out of the log's retention (or from a log since replaced).
   */
  async prepare(viewer: Viewer, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined): Promise<AlertRequest | GraphQLError[]> {
    const args = readAlertArguments(this.options.schema, document, variables, operationName);
    if (!args) return [hubError('BAD_USER_INPUT', 'a subscription must select alerts', 'alerts')];
    let after: AlertPlace | null = null;
    if (args.after !== null) {
      after = this.cursors.open(viewer, args.after);
      if (!after) return [hubError('BAD_USER_INPUT', 'after must be the cursor of an AlertEvent this hub sent to your member', 'after')];
      if (after.at < this.clock() - this.retentionMs || after.position > (await this.options.store.events.bounds()).latest) {
        return [hubError('CURSOR_EXPIRED', 'this cursor is older than the alert log keeps: re-sync with a query, then subscribe without after', 'after')];
      }
    }
    return { viewer, document, operationName, variables, filter: args.filter, after, heartbeats: args.heartbeats, shapingVariables: args.shapingVariables };
  }

  /**
   * Registers a prepared `alerts` subscription. Returns an iterator that yields nothing: deliveries
   * go straight to the sink, rendered once per cohort. The transport ends it with `return()` when
   * the client completes or the socket closes.
   */
  subscribe(request: AlertRequest, sink: AlertSink): AsyncIterableIterator<ExecutionResult> {
    const cohort = this.cohorts.join(request);
    const start = request.after ?? { position: this.head, at: this.clock() - this.settleMs };
    const sub = new AlertSubscriber(cohort, sink, start, request.after !== null, request.heartbeats, this.limits, this.options.observer, Date.now);
    cohort.subscribers.add(sub);
    if (request.after !== null) {
      replayAlerts(sub, request.after.position, {
        readAfter: (position, limit) => this.options.store.events.readAfter(position, limit),
        deliveriesFor: (s, page) => this.replayDeliveries(s, page),
      }).catch((err: unknown) => {
        this.options.log.error({ err }, 'alert replay failed');
        sub.closeSlow();
      });
    }
    const remove = () => {
      sub.finish();
      this.cohorts.leave(cohort, sub);
    };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      // Ending on its own (slow consumer), the iterator gets no return() from graphql-ws: leave the cohort here.
      next: () =>
        sub.done.then(() => {
          remove();
          return { done: true as const, value: undefined };
        }),
      return: async () => {
        remove();
        return { done: true as const, value: undefined };
      },
      throw: async (err: unknown) => {
        remove();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  /**
   * Sends a HEARTBEAT to every live subscriber that asked for them. Its cursor is the subscriber's
   * own place (the last event delivered to it), its time moved to `at` less a settling margin: it
   * moves with the clock, never with events the subscriber was not sent. The timer calls it every
   * `heartbeatMs`; tests call it with their own clock.
   */
  async heartbeat(): Promise<void> {
    const at = this.clock();
    for (const cohort of this.cohorts.values()) {
      const bySeal = new Map<string, AlertSubscriber[]>();
      for (const sub of cohort.subscribers) {
        if (!sub.heartbeats || sub.pending || sub.closed) continue;
        const cursor = this.cursors.seal(cohort.viewer, { position: sub.place.position, at: Math.max(sub.place.at, at - this.settleMs) });
        const same = bySeal.get(cursor);
        if (same) same.push(sub);
        else bySeal.set(cursor, [sub]);
      }
      for (const [cursor, subs] of bySeal) {
        try {
          const json = await this.renderer.render(cohort, cohort.viewer, { cursor, type: 'HEARTBEAT', occurredAt: new Date(at), kind: null, record: null });
          for (const sub of subs) sub.writeHeartbeat(json);
        } catch (err) {
          this.options.log.error({ err }, 'alert heartbeat failed');
        }
      }
    }
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, DISPATCH_BATCH);
        try {
          await this.dispatch(batch);
        } catch (err) {
          this.options.log.error({ err }, 'alert dispatch failed');
        }
        this.head = Math.max(this.head, batch[batch.length - 1]!._id);
      }
    } finally {
      this.draining = false;
    }
  }

  /** One round: judge each event once per visibility class (as it is now), render once per cohort, write once per socket. */
  private async dispatch(events: readonly EventDoc[]): Promise<void> {
    if (this.cohorts.size === 0) return;
    const cohorts = [...this.cohorts.values()];
    const [records, viewers] = await Promise.all([this.judge.records(events), this.judge.viewersNow(cohorts.map((c) => c.viewer))]);
    const outbox = new Map<AlertSubscriber, Delivery[]>();
    try {
      for (const event of events) {
        const record = records.get(event.recordId);
        if (!record) continue;
        const verdicts = new Map<string, ReturnType<AlertJudge['verdict']>>();
        // Every cohort of one member shares the event's cursor: seal it once per member.
        const sealed = new Map<string, string>();
        for (const cohort of cohorts) {
          const now = viewers.get(cohort.viewer);
          if (!now || cohort.subscribers.size === 0) continue;
          const visKey = visibilityKey(now);
          let type = verdicts.get(visKey);
          if (type === undefined) verdicts.set(visKey, (type = this.judge.verdict(now, event, record)));
          if (!type || !matchesAlertFilter(cohort.filter, event.kind, type, record, this.warnedFor(now))) continue;
          const delivery = await this.deliveryOf(cohort, now, event, type, record, true, sealed);
          for (const sub of cohort.subscribers) sub.offer(delivery, outbox);
        }
      }
    } finally {
      // A write is a system call, and on a busy hub that, not executing the documents, is the
      // cost: each socket's messages of this round leave together.
      for (const [sub, box] of outbox) sub.writeAll(box);
    }
  }

  /** `warned` for one subscriber's viewer. */
  private warnedFor(viewer: Viewer): ((indicator: IndicatorDoc) => boolean) | undefined {
    const warned = this.options.warned;
    return warned && ((indicator) => warned(indicator, viewer));
  }

  /** A replay's page for one subscriber, judged with its viewer as it is now, rendered one at a time. */
  private async *replayDeliveries(sub: AlertSubscriber, page: readonly EventDoc[]): AsyncGenerator<Delivery> {
    const cohort = sub.cohort;
    const [records, viewers] = await Promise.all([this.judge.records(page), this.judge.viewersNow([cohort.viewer])]);
    const now = viewers.get(cohort.viewer);
    if (!now) return;
    for (const event of page) {
      if (sub.closed) return;
      const record = records.get(event.recordId);
      const type = record ? this.judge.verdict(now, event, record) : null;
      if (!record || !type || !matchesAlertFilter(cohort.filter, event.kind, type, record, this.warnedFor(now))) continue;
      yield await this.deliveryOf(cohort, now, event, type, record, false);
    }
  }

  private async deliveryOf(
    cohort: Cohort,
    viewer: Viewer,
    event: EventDoc,
    type: NonNullable<ReturnType<AlertJudge['verdict']>>,
    record: AlertRecord,
    live: boolean,
    sealed?: Map<string, string>,
  ): Promise<Delivery> {
    const at = event.occurredAt.getTime();
    const binding = viewerId(cohort.viewer);
    let cursor = sealed?.get(binding);
    if (cursor === undefined) {
      cursor = this.cursors.seal(cohort.viewer, { position: event._id, at });
      sealed?.set(binding, cursor);
    }
    const json = await this.renderer.render(cohort, viewer, { cursor, type, occurredAt: event.occurredAt, kind: event.kind, record });
    return { position: event._id, at, json, live };
  }
}
