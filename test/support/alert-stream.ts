/**
 * `alerts` subscriptions for tests: `alertStream` drives the official graphql-ws client and
 * collects what arrives; `rawAlertSocket` speaks graphql-transport-ws over a bare `ws` socket
 * that can stop reading (a slow consumer the official client cannot play).
 */
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestHub } from './hub-fixture.js';

export type AlertType = 'PUBLISHED' | 'UPDATED' | 'REVOKED' | 'SIGHTED' | 'RELEASED' | 'HEARTBEAT';

export interface AlertEvent {
  cursor: string;
  type: AlertType;
  occurredAt?: string;
  indicator?: Record<string, any> | null;
  notice?: Record<string, any> | null;
  vulnerability?: Record<string, any> | null;
}

/** One `next` payload: the event and the payload's extensions (`redacted`). */
export interface AlertMessage {
  event: AlertEvent;
  extensions?: Record<string, any>;
  errors?: unknown[];
}

export interface Closed {
  code: number;
  reason: string;
}

/** The default selection: enough to tell events apart. */
export const ALERT_FIELDS = 'cursor type occurredAt indicator { id } notice { id }';

export function alertsDocument(selection = ALERT_FIELDS, fragments = ''): string {
  return `subscription Alerts($filter: AlertFilter, $after: String, $heartbeats: Boolean) { alerts(filter: $filter, after: $after, heartbeats: $heartbeats) { ${selection} } } ${fragments}`;
}

export interface AlertStreamOptions {
  filter?: Record<string, unknown>;
  after?: string | null;
  /** The AlertEvent selection; must include `cursor` and `type`. Default ALERT_FIELDS. */
  selection?: string;
  /** Fragment definitions the selection spreads. */
  fragments?: string;
  /** Resolve only once the subscription is live (its first HEARTBEAT arrived). Default true. */
  ready?: boolean;
  /** Ask for HEARTBEAT events (`heartbeats: true`). Default true: `ready` waits for the first one. */
  heartbeats?: boolean;
}

export interface AlertStream {
  client: Client;
  /** Every payload in arrival order, heartbeats included. */
  messages: AlertMessage[];
  /** Events other than HEARTBEAT, in arrival order. */
  readonly events: AlertEvent[];
  readonly heartbeats: AlertEvent[];
  /** `INDICATOR id TYPE` / `NOTICE id TYPE` for each event, in order: easy to compare. */
  readonly summary: string[];
  /** The cursor of the last payload (event or heartbeat), the one to resume after. */
  lastCursor(): string | undefined;
  /** Waits until `predicate` holds; rejects on timeout or when the stream ends first. */
  until(predicate: (s: AlertStream) => boolean, label: string, timeoutMs?: number): Promise<void>;
  /**
   * Waits for `count` heartbeats sent after this call: once the hub has dispatched an event, the
   * second heartbeat after it follows everything that event gave this stream.
   */
  nextHeartbeats(count?: number, timeoutMs?: number): Promise<void>;
  /** The graphql-ws `error` for the operation (an array of GraphQL errors, or the close event). */
  failed: Promise<any>;
  /** How the socket closed. */
  closed: Promise<Closed>;
  /** Disposes the client and waits for its socket to close. */
  dispose(): Promise<void>;
}

/** A short description of an event, for comparing sequences. */
export function describeEvent(e: AlertEvent): string {
  const record = e.indicator ? `INDICATOR ${e.indicator.id}` : e.notice ? `NOTICE ${e.notice.id}` : '-';
  return `${record} ${e.type}`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const live = new Set<AlertStream>();

/** Disposes every stream still open (for `afterEach`), so each test starts with no subscriber of its predecessors. */
export async function disposeStreams(): Promise<void> {
  await Promise.all([...live].map((s) => s.dispose()));
}

/** Polls until `check` holds, or fails naming `label`. */
export async function eventually(check: () => boolean, label: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

/**
 * Subscribes to `alerts` with the official client, on its own socket. By default resolves once
 * the hub treats the subscription as live, shown by its first HEARTBEAT: the hub under test must
 * run with a short `alertHeartbeatMs`.
 */
export async function alertStream(t: TestHub, token: string | undefined, options: AlertStreamOptions = {}): Promise<AlertStream> {
  const client = t.wsClient(token);
  const messages: AlertMessage[] = [];
  const waiters = new Set<() => void>();
  let ended: string | null = null;
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  let resolveClosed!: (c: Closed) => void;
  const closed = new Promise<Closed>((resolve) => (resolveClosed = resolve));
  client.on('closed', (event) => {
    const { code, reason } = event as { code: number; reason: string };
    ended ??= `socket closed with ${code} ${reason}`;
    resolveClosed({ code, reason });
    wake();
  });
  let resolveFailed!: (e: unknown) => void;
  const failed = new Promise<any>((resolve) => (resolveFailed = resolve));
  const variables: Record<string, unknown> = {};
  if (options.filter) variables.filter = options.filter;
  if (options.after !== undefined) variables.after = options.after;
  variables.heartbeats = options.heartbeats ?? true;
  client.subscribe(
    { query: alertsDocument(options.selection, options.fragments), variables },
    {
      next: (payload) => {
        const { data, ...rest } = payload as { data?: { alerts?: AlertEvent } | null; extensions?: Record<string, any>; errors?: unknown[] };
        messages.push({ event: data?.alerts as AlertEvent, ...rest });
        wake();
      },
      error: (err) => {
        ended ??= `operation failed: ${JSON.stringify(err)}`;
        resolveFailed(err);
        wake();
      },
      complete: () => {
        ended ??= 'operation completed';
        wake();
      },
    },
  );

  const stream: AlertStream = {
    client,
    messages,
    get events() {
      return messages.map((m) => m.event).filter((e) => e?.type !== 'HEARTBEAT');
    },
    get heartbeats() {
      return messages.map((m) => m.event).filter((e) => e?.type === 'HEARTBEAT');
    },
    get summary() {
      return stream.events.map(describeEvent);
    },
    lastCursor: () => messages.at(-1)?.event.cursor,
    until(predicate, label, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`timed out waiting for ${label}; got ${JSON.stringify(stream.summary)}`)), timeoutMs);
        const finish = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve();
        };
        const check = () => {
          if (predicate(stream)) finish();
          else if (ended) finish(new Error(`${label}: the stream ended first (${ended}); got ${JSON.stringify(stream.summary)}`));
        };
        waiters.add(check);
        check();
      });
    },
    nextHeartbeats(count = 2, timeoutMs) {
      const seen = stream.heartbeats.length;
      return stream.until((s) => s.heartbeats.length >= seen + count, `${count} more heartbeats`, timeoutMs);
    },
    failed,
    closed,
    async dispose() {
      live.delete(stream);
      await client.dispose();
      await Promise.race([closed, sleep(2_000)]);
    },
  };
  live.add(stream);
  if (options.ready !== false) await stream.until((s) => s.heartbeats.length > 0, 'the first heartbeat');
  return stream;
}

/** A graphql-transport-ws client on a bare socket, which can stop reading. */
export interface RawAlertSocket {
  /** `next` payloads received, in order. */
  payloads: Array<{ data?: { alerts: AlertEvent }; errors?: unknown[] }>;
  /** Every message after `connection_ack` but pings, exactly as it arrived (for byte comparisons). */
  frames: string[];
  /** Stops reading from the TCP socket: the hub's writes pile up. */
  pause(): void;
  resume(): void;
  closed: Promise<Closed>;
  /** Drops the connection without a close handshake. */
  terminate(): void;
}

export async function rawAlertSocket(
  t: TestHub,
  /** Undefined: an anonymous connection. */
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
): Promise<RawAlertSocket> {
  const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws');
  const payloads: RawAlertSocket['payloads'] = [];
  const frames: string[] = [];
  const closed = new Promise<Closed>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let acked!: () => void;
  const ack = new Promise<void>((resolve) => (acked = resolve));
  ws.on('message', (raw) => {
    const text = raw.toString();
    const message = JSON.parse(text);
    if (message.type === 'connection_ack') acked();
    else if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    else {
      frames.push(text);
      if (message.type === 'next') payloads.push(message.payload);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
  await ack;
  ws.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query, variables } }));
  const socket = () => (ws as unknown as { _socket: import('node:net').Socket })._socket;
  return {
    payloads,
    frames,
    pause: () => socket().pause(),
    resume: () => socket().resume(),
    closed,
    terminate: () => ws.terminate(),
  };
}
