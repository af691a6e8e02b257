/**
 * The live-alert fan-out: turns events from the log into `alerts` deliveries.
 *
 * Subscribers who would receive identical bytes (same visibility, document and variables) form a
 * group; each event is judged, executed and serialised once per group, and the bytes are written
 * to every socket in it. Visibility is judged at delivery time with the policy's own filter
 * documents, against the record's sharing before and after the change (RELEASED when a viewer
 * could not see it before) and against the record as it is now.
 */
import {
  execute,
  getArgumentValues,
  getOperationAST,
  GraphQLError,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from 'pino';
import type { AlertEventType, EventDoc, RecordKind, VisibilityFacts } from '../domain/events.js';
import { factsOf } from '../domain/events.js';
import { SEVERITIES, type IndicatorDoc, type IndicatorType, type NoticeCategory, type NoticeDoc, type Severity } from '../domain/types.js';
import { hubError } from '../errors.js';
import { formatForTransport } from '../http/redaction.js';
import { indicatorVisibility, noticeVisibility, visibilityKey, type Viewer } from '../policy/policy.js';
import { FilterMatcher } from '../store/filter-matcher.js';
import type { AlertObserver } from './alert-observer.js';
import type { Store } from '../store/ports.js';

export interface AlertFilterInput {
  kinds?: Array<'INDICATOR' | 'MODEL_RISK_NOTICE'> | null;
  indicatorTypes?: IndicatorType[] | null;
  minSeverity?: Severity | null;
  minConfidence?: number | null;
  tags?: string[] | null;
  noticeCategories?: NoticeCategory[] | null;
  types?: Array<AlertEventType | 'HEARTBEAT'> | null;
}

/** What the `AlertEvent` type resolves from. */
export interface AlertEventValue {
  cursor: string;
  type: AlertEventType | 'HEARTBEAT';
  occurredAt: Date;
  kind: RecordKind | null;
  record: IndicatorDoc | NoticeDoc | null;
}

/** One subscriber's way out: a graphql-ws operation on a socket. */
export interface AlertTransport {
  /** The graphql-ws operation id. */
  operationId: string;
  /** Writes one ready-made protocol message. */
  send(message: string): void;
  /** Writes several messages at once (one system call where the socket allows it). */
  sendMany(messages: readonly string[]): void;
  /** Bytes queued on the socket and not yet written to the network. */
  bufferedAmount(): number;
  /** Ends the whole connection (slow consumer, lost credentials). */
  close(code: number, reason: string): void;
}

/** Close codes of the alert stream, besides graphql-ws's own (see docs/alerts.md). */
export const ALERT_CLOSE = {
  /** The subscriber fell too far behind; reconnect and resume with `after`. */
  slowConsumer: { code: 4413, reason: 'Slow consumer: resume with after' },
} as const;

export interface AlertFanoutOptions {
  schema: GraphQLSchema;
  store: Store;
  log: Logger;
  /** A fresh request context for executing a group's document as its viewer. */
  contextFor: (viewer: Viewer) => object;
  /** Bytes a socket may have queued before its subscriber is disconnected. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Events a resuming subscriber may have waiting while it replays. Default 10,000. */
  maxPendingEvents?: number;
  /** Interval of HEARTBEAT events, ms; 0 turns them off. Default 15 s. */
  heartbeatMs?: number;
  /** Hears live deliveries (their lag) and slow-consumer closes (metrics). Default: none. */
  observer?: AlertObserver;
}

interface Group {
  key: string;
  viewer: Viewer;
  visKey: string;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown> | undefined;
  filter: AlertFilterInput | null;
  subscribers: Set<Subscriber>;
}

interface Subscriber {
  group: Group;
  transport: AlertTransport;
  /** `{"id":…,"type":"next","payload":` — everything but the payload. */
  prefix: string;
  /** Last position delivered or passed over; nothing at or below it is sent again. */
  lastPosition: number;
  /** Set while replaying: live deliveries wait here, in order. */
  pending: Array<{ position: number; json: string; appendedAt: number }> | null;
  closed: boolean;
  finish: () => void;
}

const REPLAY_PAGE = 200;
/** Events judged per dispatch round; a socket's messages of one round leave in one write. */
const DISPATCH_BATCH = 32;

/** Parses an alert cursor: a decimal log position. */
export function parseAlertCursor(cursor: string): number | null {
  return /^\d{1,15}$/.test(cursor) ? Number(cursor) : null;
}

export class AlertFanout {
  private readonly groups = new Map<string, Group>();
  private readonly queue: EventDoc[] = [];
  private draining = false;
  /** Highest position fully dispatched. */
  private head = 0;
  private readonly matcher = new FilterMatcher();
  private readonly heartbeat: NodeJS.Timeout | null;
  private readonly maxBufferedBytes: number;
  private readonly maxPendingEvents: number;
  /** While a dispatch round runs: each live subscriber's messages of the round, flushed at its end. */
  private outbox: Map<Subscriber, Array<{ position: number; json: string; appendedAt: number }>> | null = null;

  constructor(private readonly options: AlertFanoutOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.maxPendingEvents = options.maxPendingEvents ?? 10_000;
    const every = options.heartbeatMs ?? 15_000;
    this.heartbeat = every > 0 ? setInterval(() => void this.beat(), every) : null;
    this.heartbeat?.unref();
  }

  /** Starts at the log's current end, so that events already there are not delivered live. */
  async start(): Promise<void> {
    this.head = (await this.options.store.events.bounds()).latest;
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const group of this.groups.values()) for (const sub of group.subscribers) sub.finish();
    this.groups.clear();
  }

  /** Subscribers and groups right now (for metrics and the bench). */
  stats(): { subscribers: number; groups: number } {
    let subscribers = 0;
    for (const g of this.groups.values()) subscribers += g.subscribers.size;
    return { subscribers, groups: this.groups.size };
  }

  /** Feed from the event bus: events in position order. */
  onEvents(events: readonly EventDoc[]): void {
    this.queue.push(...events);
    if (!this.draining) void this.drain();
  }

  /**
   * Checks an `alerts` operation before it starts; returns its errors (bad cursor, cursor older
   * than the log's retention) or null.
   */
  async check(document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined): Promise<GraphQLError[] | null> {
    const args = this.argumentsOf(document, variables, operationName);
    if (!args || args.after == null) return null;
    const after = parseAlertCursor(String(args.after));
    if (after === null) return [hubError('BAD_USER_INPUT', 'after must be a cursor from an AlertEvent', 'after')];
    const { latest, trimmedThrough } = await this.options.store.events.bounds();
    if (after < trimmedThrough || after > latest) {
      return [hubError('CURSOR_EXPIRED', 'this cursor is older than the alert log keeps (or from another log): re-sync with a query, then subscribe without after', 'after')];
    }
    return null;
  }

  /**
   * Registers an `alerts` subscription. Returns an iterator that yields nothing: deliveries are
   * written straight to the transport, once per group. graphql-ws ends it with `return()` when
   * the client completes or the socket closes.
   */
  subscribe(viewer: Viewer, transport: AlertTransport, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined): AsyncIterableIterator<ExecutionResult> {
    const args = this.argumentsOf(document, variables, operationName) ?? {};
    const after = args.after == null ? null : parseAlertCursor(String(args.after));
    const group = this.groupFor(viewer, document, variables, operationName, args);
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const sub: Subscriber = {
      group,
      transport,
      prefix: `{"id":${JSON.stringify(transport.operationId)},"type":"next","payload":`,
      lastPosition: after ?? this.head,
      pending: after === null ? null : [],
      closed: false,
      finish: () => {
        sub.closed = true;
        finished();
      },
    };
    group.subscribers.add(sub);
    if (after !== null) void this.replay(sub, after);
    const remove = () => {
      sub.finish();
      group.subscribers.delete(sub);
      if (group.subscribers.size === 0) this.groups.delete(group.key);
    };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      // Ending on its own (slow consumer), the iterator gets no return() from graphql-ws: leave the group here.
      next: () =>
        done.then(() => {
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

  private argumentsOf(document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined): Record<string, unknown> | null {
    const operation = getOperationAST(document, operationName);
    const field = operation?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'alerts');
    const def = this.options.schema.getSubscriptionType()?.getFields().alerts;
    if (!field || !def) return null;
    return getArgumentValues(def, field, variables);
  }

  private groupFor(viewer: Viewer, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined, args: Record<string, unknown>): Group {
    // `after` only decides where a replay starts, not what a delivery looks like: leave it out.
    const operation = getOperationAST(document, operationName);
    const field = operation?.selectionSet.selections.find((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'alerts');
    const afterArg = field?.arguments?.find((a) => a.name.value === 'after');
    const afterVar = afterArg?.value.kind === Kind.VARIABLE ? afterArg.value.name.value : null;
    const keyVars = variables && afterVar ? Object.fromEntries(Object.entries(variables).filter(([k]) => k !== afterVar)) : variables;
    const visKey = visibilityKey(viewer);
    // Roles shape some fields too (Member.identityProviders): only equal roles share bytes.
    const roles = viewer.kind === 'member' ? [...viewer.roles].sort().join(',') : '';
    const key = `${visKey}\u0000${roles}\u0000${operationName ?? ''}\u0000${documentKey(document)}\u0000${JSON.stringify(keyVars ?? {})}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { key, viewer, visKey, document, operationName, variables, filter: (args.filter as AlertFilterInput | null) ?? null, subscribers: new Set() };
      this.groups.set(key, group);
    }
    return group;
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

  private async dispatch(events: readonly EventDoc[]): Promise<void> {
    if (this.groups.size === 0) return;
    const records = await this.loadRecords(events);
    // A write is a system call, and on a busy hub that, not executing the documents, is the cost:
    // collect each socket's messages of this round and write them together.
    const outbox = (this.outbox = new Map());
    try {
      await this.judgeAndRender(events, records);
    } finally {
      this.outbox = null;
      this.flush(outbox);
    }
  }

  private async judgeAndRender(events: readonly EventDoc[], records: Map<string, IndicatorDoc | NoticeDoc>): Promise<void> {
    for (const event of events) {
      const record = records.get(event.recordId);
      if (!record) continue;
      const verdicts = new Map<string, AlertEventType | null>();
      for (const group of this.groups.values()) {
        let type = verdicts.get(group.visKey);
        if (type === undefined) {
          type = this.verdict(group.viewer, event, record);
          verdicts.set(group.visKey, type);
        }
        if (!type || !matchesFilter(group.filter, event.kind, type, record)) continue;
        const json = await this.render(group, { cursor: String(event._id), type, occurredAt: event.occurredAt, kind: event.kind, record });
        for (const sub of group.subscribers) this.deliver(sub, event._id, json, event.occurredAt.getTime());
      }
    }
  }

  private deliver(sub: Subscriber, position: number, json: string, appendedAt: number): void {
    if (sub.closed || position <= sub.lastPosition) return;
    if (sub.pending) {
      sub.pending.push({ position, json, appendedAt });
      if (sub.pending.length > this.maxPendingEvents) this.disconnectSlow(sub);
      return;
    }
    if (this.outbox) {
      let box = this.outbox.get(sub);
      if (!box) this.outbox.set(sub, (box = []));
      box.push({ position, json, appendedAt });
      return;
    }
    this.write(sub, position, json, appendedAt);
  }

  private flush(outbox: Map<Subscriber, Array<{ position: number; json: string; appendedAt: number }>>): void {
    for (const [sub, box] of outbox) {
      if (sub.closed) continue;
      const fresh = box.filter((m) => m.position > sub.lastPosition);
      if (fresh.length === 0) continue;
      if (sub.transport.bufferedAmount() > this.maxBufferedBytes) {
        this.disconnectSlow(sub);
        continue;
      }
      sub.transport.sendMany(fresh.map((m) => `${sub.prefix}${m.json}}`));
      sub.lastPosition = fresh[fresh.length - 1]!.position;
      this.observeLag(fresh);
    }
  }

  /** Writes one delivery; `appendedAt` (live deliveries only, not replays) is reported as lag. */
  private write(sub: Subscriber, position: number, json: string, appendedAt?: number): void {
    if (sub.transport.bufferedAmount() > this.maxBufferedBytes) return this.disconnectSlow(sub);
    sub.transport.send(`${sub.prefix}${json}}`);
    sub.lastPosition = position;
    if (appendedAt !== undefined) this.observeLag([{ appendedAt }]);
  }

  private observeLag(written: ReadonlyArray<{ appendedAt: number }>): void {
    if (!this.options.observer) return;
    const now = Date.now();
    this.options.observer.delivered(written.map((m) => (now - m.appendedAt) / 1000));
  }

  private disconnectSlow(sub: Subscriber): void {
    if (sub.closed) return;
    sub.finish();
    sub.transport.close(ALERT_CLOSE.slowConsumer.code, ALERT_CLOSE.slowConsumer.reason);
    this.options.observer?.slowConsumerClosed();
  }

  /** Replays the log after `after` to one subscriber, then joins it to live delivery without gap or repeat. */
  private async replay(sub: Subscriber, after: number): Promise<void> {
    let cursor = after;
    try {
      for (;;) {
        const page = await this.options.store.events.readAfter(cursor, REPLAY_PAGE);
        if (page.length === 0 || sub.closed) break;
        const records = await this.loadRecords(page);
        for (const event of page) {
          if (sub.closed) return;
          const record = records.get(event.recordId);
          const type = record ? this.verdict(sub.group.viewer, event, record) : null;
          if (record && type && matchesFilter(sub.group.filter, event.kind, type, record)) {
            const json = await this.render(sub.group, { cursor: String(event._id), type, occurredAt: event.occurredAt, kind: event.kind, record });
            await this.waitForRoom(sub);
            if (sub.closed) return;
            this.write(sub, event._id, json);
          }
          cursor = event._id;
          sub.lastPosition = Math.max(sub.lastPosition, cursor);
        }
        const firstPending = sub.pending?.[0]?.position;
        if (firstPending !== undefined && cursor >= firstPending - 1) break;
      }
      // What arrived live meanwhile goes out in order, with room as the replay had; later
      // deliveries keep queuing behind it until the queue is empty.
      while (sub.pending && sub.pending.length > 0) {
        const p = sub.pending.shift()!;
        if (p.position <= sub.lastPosition) continue;
        await this.waitForRoom(sub);
        if (sub.closed) return;
        this.write(sub, p.position, p.json, p.appendedAt);
      }
      sub.pending = null;
    } catch (err) {
      this.options.log.error({ err }, 'alert replay failed');
      this.disconnectSlow(sub);
    }
  }

  /** Lets a replaying socket drain before writing more, so a replay cannot fill memory. */
  private async waitForRoom(sub: Subscriber): Promise<void> {
    const limit = this.maxBufferedBytes / 2;
    for (let waited = 0; sub.transport.bufferedAmount() > limit; waited += 10) {
      if (waited > 30_000 || sub.closed) return this.disconnectSlow(sub);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * What `viewer` is told of `event`: null when it may not see the record (after the change, or
   * now), RELEASED when the change made the record visible to it, else the event's own type.
   */
  private verdict(viewer: Viewer, event: EventDoc, record: IndicatorDoc | NoticeDoc): AlertEventType | null {
    const now = new Date();
    if (!this.sees(viewer, event.kind, factsOf(record), now)) return null;
    if (!this.sees(viewer, event.kind, event.after, event.occurredAt)) return null;
    const before = event.before ? this.sees(viewer, event.kind, event.before, new Date(event.occurredAt.getTime() - 1)) : false;
    if (event.type === 'RELEASED') return before ? null : 'RELEASED';
    if (event.before && !before) return 'RELEASED';
    return event.type;
  }

  private sees(viewer: Viewer, kind: RecordKind, facts: VisibilityFacts, at: Date): boolean {
    if (kind === 'INDICATOR') return this.matcher.matches(indicatorVisibility(viewer), facts, `i|${visibilityKey(viewer)}`);
    return this.matcher.matches(noticeVisibility(viewer, at), facts);
  }

  private async loadRecords(events: readonly EventDoc[]): Promise<Map<string, IndicatorDoc | NoticeDoc>> {
    const indicatorIds = [...new Set(events.filter((e) => e.kind === 'INDICATOR').map((e) => e.recordId))];
    const noticeIds = [...new Set(events.filter((e) => e.kind === 'NOTICE').map((e) => e.recordId))];
    const [indicators, notices] = await Promise.all([
      indicatorIds.length ? this.options.store.indicators.find({ _id: { $in: indicatorIds } }) : [],
      noticeIds.length ? this.options.store.notices.find({ _id: { $in: noticeIds } }) : [],
    ]);
    return new Map<string, IndicatorDoc | NoticeDoc>([...indicators, ...notices].map((d) => [d._id, d]));
  }

  /** Executes a group's document once for one event and serialises the result. */
  private async render(group: Group, value: AlertEventValue): Promise<string> {
    const context = this.options.contextFor(group.viewer) as { redacted?: Set<string> };
    const result = await execute({
      schema: this.options.schema,
      document: group.document,
      rootValue: { alerts: value },
      contextValue: context,
      variableValues: group.variables,
      operationName: group.operationName,
    });
    const formatted = formatForTransport({ ...result, data: result.data ?? null }, context.redacted, (err) =>
      this.options.log.error({ err }, 'unexpected error in an alert'),
    );
    return JSON.stringify(formatted);
  }

  /** HEARTBEAT: tells every live subscriber the position it may resume after. */
  private async beat(): Promise<void> {
    if (this.draining) return;
    const value: AlertEventValue = { cursor: String(this.head), type: 'HEARTBEAT', occurredAt: new Date(), kind: null, record: null };
    for (const group of this.groups.values()) {
      const live = [...group.subscribers].filter((s) => !s.pending && !s.closed);
      if (live.length === 0) continue;
      try {
        const json = await this.render(group, value);
        for (const sub of live) if (!sub.closed && !sub.pending) {
          if (sub.transport.bufferedAmount() > this.maxBufferedBytes) this.disconnectSlow(sub);
          else {
            sub.transport.send(`${sub.prefix}${json}}`);
            sub.lastPosition = Math.max(sub.lastPosition, this.head);
          }
        }
      } catch (err) {
        this.options.log.error({ err }, 'alert heartbeat failed');
      }
    }
  }
}

const documentKeys = new WeakMap<DocumentNode, string>();
function documentKey(document: DocumentNode): string {
  let key = documentKeys.get(document);
  if (key === undefined) {
    key = document.loc?.source.body ?? JSON.stringify(document);
    documentKeys.set(document, key);
  }
  return key;
}

/**
 * The subscriber's own filter (not a policy decision: it only narrows what policy allows).
 * Criteria that belong to one kind imply that kind unless `kinds` says otherwise.
 */
function matchesFilter(filter: AlertFilterInput | null, kind: RecordKind, type: AlertEventType, record: IndicatorDoc | NoticeDoc): boolean {
  if (!filter) return true;
  if (filter.types?.length && !filter.types.includes(type)) return false;
  const indicatorCriteria = !!(filter.indicatorTypes?.length || filter.minConfidence != null || filter.tags?.length);
  const noticeCriteria = !!filter.noticeCategories?.length;
  const kindName = kind === 'INDICATOR' ? 'INDICATOR' : 'MODEL_RISK_NOTICE';
  if (filter.kinds?.length) {
    if (!filter.kinds.includes(kindName)) return false;
  } else if (indicatorCriteria || noticeCriteria) {
    if (kind === 'INDICATOR' ? !indicatorCriteria : !noticeCriteria) return false;
  }
  if (filter.minSeverity && SEVERITIES.indexOf(record.severity) < SEVERITIES.indexOf(filter.minSeverity)) return false;
  if (kind === 'INDICATOR') {
    const i = record as IndicatorDoc;
    if (filter.indicatorTypes?.length && !filter.indicatorTypes.includes(i.type)) return false;
    if (filter.minConfidence != null && i.confidence < filter.minConfidence) return false;
    if (filter.tags?.length && !filter.tags.some((t) => i.tags.includes(t.trim().toLowerCase()))) return false;
  } else if (filter.noticeCategories?.length && !filter.noticeCategories.includes((record as NoticeDoc).category)) {
    return false;
  }
  return true;
}
