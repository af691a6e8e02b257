import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { AlertFanout, AlertRequest, AlertSink } from '../alerts/alert-fanout.js';
import type { ConnectionLimits } from '../edge/connection-limits.js';
import { guardedWebSocket } from '../edge/socket-guard.js';
import type { EventBus } from '../events/event-bus.js';
import type { HubContext } from '../context.js';
import { closeCodeOf, codeOf, UNEXPECTED_MESSAGE, unexpectedError } from '../edge/error-catalogue.js';
import type { EdgePipeline, RequestTrace } from '../edge/pipeline.js';
import type { Viewer } from '../policy/policy.js';
import { LIMIT_CODES, limitError } from './limits.js';
import { MAX_BODY_BYTES } from './http-server.js';

export interface WsServerOptions {
  httpServer: Server;
  /**
   * The edge pipeline, shared with HTTP and TAXII: `connection_init` is admitted by it (without
   * drawing from the rate limit), and every operation is admitted again (drawing one token),
   * prepared, executed and formatted by it.
   */
  pipeline: EdgePipeline;
  /** Re-reads a credential when its member changed (the Authenticator); throws to refuse it. */
  authenticate: (authorization: string | undefined, options?: { remoteAddress?: string }) => Promise<Viewer>;
  log: Logger;
  /** Operations one socket may have running at once; the next is refused with TOO_MANY_OPERATIONS. */
  maxOperationsPerSocket: number;
  /** Serves `alerts` subscriptions. */
  alerts: AlertFanout;
  /** Tells of member changes, so that live connections are re-checked. */
  bus: EventBus;
  /** `connection_init`'s own rate-limit bucket, sockets per member, upgrades per address (src/edge/connection-limits.ts). Default: none. */
  connectionLimits?: ConnectionLimits;
  /** Bytes one socket may have queued before it is closed with 4413 (src/edge/socket-guard.ts). Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Told of every socket the guard closes for a limit (4413 queue, 4429 pings), after it is logged. Default: nothing. */
  onSocketLimit?: (close: { code: number; reason: string }) => void;
}

/** Close codes for lost credentials (graphql-ws's own 4401 and 4403; see docs/alerts.md). */
export const CREDENTIAL_CLOSE = {
  expired: { code: CloseCode.Unauthorized, reason: 'Unauthorized: token expired' },
  invalid: { code: CloseCode.Unauthorized, reason: 'Unauthorized' },
  tierChanged: { code: CloseCode.Forbidden, reason: 'Forbidden: tier changed, reconnect' },
  rolesChanged: { code: CloseCode.Forbidden, reason: 'Forbidden: roles changed, reconnect' },
} as const;

/** Close codes of the alert stream, besides graphql-ws's own (see docs/alerts.md). */
export const ALERT_CLOSE = {
  /** The subscriber fell too far behind; reconnect and resume with `after`. */
  slowConsumer: { code: 4413, reason: 'Slow consumer: resume with after' },
} as const;

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

interface ConnectionExtra {
  viewer?: Viewer;
  authorization?: string;
  request?: { socket: { remoteAddress?: string } };
  /** The operations under way on this socket, by id, each followed until it ends. */
  traces?: Map<string, RequestTrace>;
  [key: PropertyKey]: unknown;
}

/** A close reason fits in 123 bytes (RFC 6455): the message, cut on a character boundary. */
function closeReason(message: string): string {
  let reason = message.slice(0, 123);
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/**
 * graphql-ws on `/graphql`, beside HTTP: a thin adapter over the edge pipeline. The token comes
 * in `connection_init` (`{ "authorization": "Bearer ..." }`); a refused one closes the socket
 * with the catalogue's close code and the refusal's message as reason (4401 for a bad token or
 * anonymous reads off; 4500 for an unexpected failure, logged once). Every operation is admitted
 * again, so a changed tier applies from the next operation on.
 *
 * Every limit HTTP applies applies here too, with the same codes and messages: a refused
 * operation gets an `error` message and the socket stays open. A message over 1 MB closes the
 * socket with 1009.
 */
export function attachGraphqlWs(options: WsServerOptions): { close: () => Promise<void>; connections: () => number } {
  const { log, pipeline } = options;
  const wss = new WebSocketServer({
    server: options.httpServer,
    path: '/graphql',
    maxPayload: MAX_BODY_BYTES,
    // Connection limits (docs/limits.md, "Connections"): upgrades per address, per-socket buffer and keep-alives.
    verifyClient: options.connectionLimits?.verifyClient,
    WebSocket: guardedWebSocket({
      maxBufferedBytes: options.maxBufferedBytes,
      onClose: (close) => {
        log.warn(close, 'websocket closed by its limits');
        options.onSocketLimit?.(close);
      },
    }),
  });
  const connections = new Map<WebSocket, ConnectionExtra>();
  const operationOf = new WeakMap<object, { id: string; socket: WebSocket }>();
  // The alert sink: the fan-out hands over payloads, this adapter owns graphql-ws's `next` frames.
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const sinkFor = (id: string, socket: WebSocket): AlertSink => {
    const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    return {
      write: (payloads) => {
        if (socket.readyState !== WebSocket.OPEN) return true;
        // Stop at the socket's limit, before the socket guard would drop a frame and close it
        // unannounced: the fan-out then closes the subscriber as slow (and metrics hear of it).
        if (payloads.length === 1) {
          if (socket.bufferedAmount > maxBuffered) return false;
          socket.send(`${prefix}${payloads[0]}}`);
          return true;
        }
        // Cork the TCP socket under ws so the frames leave in one writev, not one each.
        const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
        raw?.cork();
        try {
          for (const payload of payloads) {
            if (socket.bufferedAmount > maxBuffered) return false;
            socket.send(`${prefix}${payload}}`);
          }
          return true;
        } finally {
          raw?.uncork();
        }
      },
      bufferedAmount: () => socket.bufferedAmount,
      closeSlow: () => socket.close(ALERT_CLOSE.slowConsumer.code, ALERT_CLOSE.slowConsumer.reason),
    };
  };
  /** `alerts` requests read once in onSubscribe, for the subscribe step that follows. */
  const alertRequests = new WeakMap<ExecutionArgs, AlertRequest>();
  const closeFor = (socket: WebSocket, close: { code: number; reason: string }) => {
    if (socket.readyState === WebSocket.OPEN) socket.close(close.code, close.reason);
  };
  // A member's tier, suspension or identity providers changed: re-check its live connections.
  const unsubscribeMembers = options.bus.onMemberChanged((memberId) => {
    for (const [socket, extra] of connections) {
      const before = extra.viewer;
      if (before?.kind !== 'member' || before.memberId !== memberId) continue;
      options.authenticate(extra.authorization, { remoteAddress: extra.request?.socket.remoteAddress }).then(
        (now) => {
          if (now.kind !== 'member' || now.tier !== before.tier) closeFor(socket, CREDENTIAL_CLOSE.tierChanged);
          else if (now.roles.length !== before.roles.length || now.roles.some((r) => !before.roles.includes(r))) closeFor(socket, CREDENTIAL_CLOSE.rolesChanged);
          else extra.viewer = now;
        },
        (err: unknown) => {
          if (err instanceof GraphQLError && codeOf(err) === 'UNAUTHENTICATED') return closeFor(socket, CREDENTIAL_CLOSE.invalid);
          // Whether the member may still read cannot be known: close, as the hub's failure (4500), logged once.
          pipeline.unexpected(err, randomUUID(), 'graphql-ws');
          closeFor(socket, { code: CloseCode.InternalServerError, reason: UNEXPECTED_MESSAGE });
        },
      );
    }
  });

  const contextFor = (extra: ConnectionExtra & { socket: WebSocket }, id: string, viewer: Viewer, requestId: string): HubContext => {
    const context = pipeline.context(viewer, requestId);
    operationOf.set(context, { id, socket: extra.socket });
    const trace = extra.traces?.get(id);
    if (trace) pipeline.attach(context, trace);
    return context;
  };
  const remoteAddressOf = (extra: { request: { socket: { remoteAddress?: string } } }) => extra.request.socket.remoteAddress;
  const traceOf = (extra: ConnectionExtra, id: string) => extra.traces?.get(id);
  const endTrace = (extra: ConnectionExtra, id: string, code?: string) => {
    const trace = extra.traces?.get(id);
    if (!trace) return;
    if (code !== undefined) trace.code = code;
    extra.traces!.delete(id);
    pipeline.end(trace);
  };
  /** An operation refused before it ran: its errors, and its trace ended with their code. */
  const refuse = (extra: ConnectionExtra, id: string, errors: readonly GraphQLError[]) => {
    endTrace(extra, id, codeOf(errors[0]));
    return errors;
  };

  const serverCleanup = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: pipeline.schema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        const authorization = typeof raw === 'string' ? raw : undefined;
        const socket = ctx.extra.socket;
        let viewer: Viewer;
        try {
          viewer = await pipeline.admit({ transport: 'graphql-ws', authorization, remoteAddress: remoteAddressOf(ctx.extra), requestId: randomUUID(), draw: false });
        } catch (err) {
          const refusal = err instanceof GraphQLError ? err : unexpectedError();
          socket.close(closeCodeOf(codeOf(refusal)), closeReason(refusal.message));
          return false;
        }
        // Connection limits (docs/limits.md, "Connections"): connection_init's own bucket, sockets per member.
        const limited = await options.connectionLimits?.admitSocket(socket, viewer, remoteAddressOf(ctx.extra));
        if (limited) {
          socket.close(limited.code, limited.reason);
          return false;
        }
        ctx.extra.viewer = viewer;
        ctx.extra.authorization = authorization;
        ctx.extra.traces = new Map();
        connections.set(socket, ctx.extra);
        const expiresAt = viewer.kind === 'member' && viewer.tokenExpiresAt ? viewer.tokenExpiresAt : null;
        let expiry: NodeJS.Timeout | null = null;
        // A timer cannot count past ~24.8 days (it would fire at once): re-arm until the token is due.
        const armExpiry = (at: number) => {
          const left = at - Date.now();
          expiry = setTimeout(left > MAX_TIMER_MS ? () => armExpiry(at) : () => closeFor(socket, CREDENTIAL_CLOSE.expired), Math.min(MAX_TIMER_MS, Math.max(0, left)));
          expiry.unref();
        };
        if (expiresAt !== null) armExpiry(expiresAt);
        socket.once('close', () => {
          connections.delete(socket);
          if (expiry) clearTimeout(expiry);
          // Operations cut short by the socket closing end here (a subscription's usual end).
          for (const id of [...(ctx.extra.traces?.keys() ?? [])]) endTrace(ctx.extra, id);
        });
        return true;
      },
      onSubscribe: async (ctx, id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        // As over HTTP, a fresh id per operation: the log line of a failure names it.
        const requestId = randomUUID();
        ctx.extra.traces?.set(id, pipeline.begin('graphql-ws', requestId));
        // graphql-ws has registered this operation already; count before anything awaits.
        if (Object.keys(ctx.subscriptions).length > options.maxOperationsPerSocket) {
          return refuse(ctx.extra, id, [limitError(LIMIT_CODES.socketOperations, `A socket may run at most ${options.maxOperationsPerSocket} operations at once`)]);
        }
        try {
          let viewer: Viewer;
          try {
            viewer = ctx.extra.viewer = await pipeline.admit({ transport: 'graphql-ws', authorization: ctx.extra.authorization, remoteAddress: remoteAddressOf(ctx.extra), requestId });
          } catch (err) {
            const refusal = err as GraphQLError;
            // A credential that stopped working ends the connection; a full bucket or a failure does not.
            if (codeOf(refusal) === 'UNAUTHENTICATED') ctx.extra.socket.close(CloseCode.Unauthorized, closeReason(refusal.message));
            return refuse(ctx.extra, id, [refusal]);
          }
          const prepared = pipeline.prepare(viewer, payload);
          if (prepared.errors) return refuse(ctx.extra, id, prepared.errors);
          const { document, operationName, variables, operationType } = prepared.prepared;
          traceOf(ctx.extra, id)!.operationType = operationType;
          // A subscription's arguments are read here, once; `subscribe` below takes what this returns.
          let alertRequest: AlertRequest | null = null;
          if (operationType === 'subscription') {
            const request = await options.alerts.prepare(viewer, document, variables, operationName);
            if (Array.isArray(request)) return refuse(ctx.extra, id, request);
            alertRequest = request;
          }
          const args: ExecutionArgs = { schema: pipeline.schema, document, operationName, variableValues: variables, contextValue: contextFor(ctx.extra, id, viewer, requestId) };
          if (alertRequest) alertRequests.set(args, alertRequest);
          return args;
        } catch (err) {
          pipeline.unexpected(err, requestId, 'graphql-ws');
          return refuse(ctx.extra, id, [unexpectedError()]);
        }
      },
      execute: (args: ExecutionArgs) =>
        pipeline.execute({ document: args.document, operationName: args.operationName ?? undefined, variables: args.variableValues ?? undefined }, args.contextValue as HubContext),
      subscribe: (args: ExecutionArgs) => {
        const { id, socket } = operationOf.get(args.contextValue as HubContext)!;
        return options.alerts.subscribe(alertRequests.get(args)!, sinkFor(id, socket));
      },
      onNext: (ctx, id, _payload, args, result: ExecutionResult) => {
        const trace = traceOf(ctx.extra, id);
        if (trace && trace.code === 'OK') trace.code = codeOf(result.errors?.[0]);
        const context = args.contextValue as HubContext;
        if (!result.errors?.length && !context.redacted?.size) return undefined;
        return pipeline.format(result, context);
      },
      onError: (ctx, _id, _payload, errors) => errors.map((e) => pipeline.formatError(e, traceOf(ctx.extra, _id)?.requestId ?? 'ws')),
      onComplete: (ctx, id) => endTrace(ctx.extra, id),
    },
    wss,
  );
  // graphql-ws reports a socket's protocol errors (e.g. a message over maxPayload, which ws has
  // already answered by closing with 1009) with console.error; they are the client's fault.
  wss.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (err) => log.warn({ reason: err.message }, 'websocket protocol error'));
  });

  return {
    /** Open sockets, authenticated or not yet (the metrics' gauge). */
    connections: () => wss.clients.size,
    close: async () => {
      unsubscribeMembers();
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await serverCleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
