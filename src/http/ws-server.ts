import type { Server } from 'node:http';
import { execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { AlertFanout, AlertTransport } from '../alerts/alert-fanout.js';
import type { EventBus } from '../events/event-bus.js';
import type { HubContext } from '../context.js';
import { assertCanIntrospect, type Viewer } from '../policy/policy.js';
import { formatHubError } from './error-format.js';
import type { ExecutionDeadlines } from './execution-deadline.js';
import { checkDocument, LIMIT_CODES, limitError, usesIntrospection } from './limits.js';
import { rateLimitedError, rateLimitKey, type RateLimiter } from './rate-limiter.js';
import { formatForTransport } from './redaction.js';
import { MAX_BODY_BYTES } from './http-server.js';

export interface WsServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  /** The same authentication as HTTP: throws for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Viewer>;
  /** Whether a connection without a token is allowed. */
  anonymousReads: boolean;
  context: (viewer: Viewer, requestId: string) => HubContext;
  log: Logger;
  /** Shared with HTTP: every subscribe message takes a token from its caller's bucket. */
  rateLimiter: RateLimiter;
  /** Shared with HTTP: the execution time limit of queries and mutations. */
  deadlines: ExecutionDeadlines;
  /** Whether members may introspect (anonymous callers never may). */
  introspection: boolean;
  /** Operations one socket may have running at once; the next is refused with TOO_MANY_OPERATIONS. */
  maxOperationsPerSocket: number;
  /** Serves `alerts` subscriptions. */
  alerts: AlertFanout;
  /** Tells of member changes, so that live connections are re-checked. */
  bus: EventBus;
}

/** Close codes for lost credentials (graphql-ws's own 4401 and 4403; see docs/alerts.md). */
export const CREDENTIAL_CLOSE = {
  expired: { code: CloseCode.Unauthorized, reason: 'Unauthorized: token expired' },
  invalid: { code: CloseCode.Unauthorized, reason: 'Unauthorized' },
  tierChanged: { code: CloseCode.Forbidden, reason: 'Forbidden: tier changed, reconnect' },
  rolesChanged: { code: CloseCode.Forbidden, reason: 'Forbidden: roles changed, reconnect' },
} as const;

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

interface ConnectionExtra {
  viewer?: Viewer;
  authorization?: string;
  [key: PropertyKey]: unknown;
}

/**
 * graphql-ws on `/graphql`, beside HTTP. The token comes in `connection_init`
 * (`{ "authorization": "Bearer ..." }`); a bad one closes the socket with 4401. Every operation
 * re-reads the member, so a changed tier applies from the next operation on.
 *
 * Every limit HTTP applies applies here too, with the same codes (src/http/limits.ts): the document
 * is parsed and validated with the hub's options, a refused operation gets an `error` message and
 * the socket stays open. A message over 1 MB closes the socket with 1009.
 */
export function attachGraphqlWs(options: WsServerOptions): { close: () => Promise<void> } {
  const { log } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  let operations = 0;
  const connections = new Map<WebSocket, ConnectionExtra>();
  const operationOf = new WeakMap<object, { id: string; socket: WebSocket }>();
  const transportFor = (id: string, socket: WebSocket): AlertTransport => ({
    operationId: id,
    send: (message) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(message);
    },
    sendMany: (messages) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // Cork the TCP socket under ws so the frames leave in one writev, not one each.
      const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      raw?.cork();
      try {
        for (const message of messages) socket.send(message);
      } finally {
        raw?.uncork();
      }
    },
    bufferedAmount: () => socket.bufferedAmount,
    close: (code, reason) => socket.close(code, reason),
  });
  const closeFor = (socket: WebSocket, close: { code: number; reason: string }) => {
    if (socket.readyState === WebSocket.OPEN) socket.close(close.code, close.reason);
  };
  // A member's tier, suspension or identity providers changed: re-check its live connections.
  const unsubscribeMembers = options.bus.onMemberChanged((memberId) => {
    for (const [socket, extra] of connections) {
      const before = extra.viewer;
      if (before?.kind !== 'member' || before.memberId !== memberId) continue;
      options.authenticate(extra.authorization).then(
        (now) => {
          if (now.kind !== 'member' || now.tier !== before.tier) closeFor(socket, CREDENTIAL_CLOSE.tierChanged);
          else if (now.roles.length !== before.roles.length || now.roles.some((r) => !before.roles.includes(r))) closeFor(socket, CREDENTIAL_CLOSE.rolesChanged);
          else extra.viewer = now;
        },
        () => closeFor(socket, CREDENTIAL_CLOSE.invalid),
      );
    }
  });

  const serverCleanup = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        const authorization = typeof raw === 'string' ? raw : undefined;
        try {
          const viewer = await options.authenticate(authorization);
          if (viewer.kind === 'anonymous' && !options.anonymousReads) throw new Error('anonymous');
          ctx.extra.viewer = viewer;
          ctx.extra.authorization = authorization;
          const socket = ctx.extra.socket;
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
          });
          return true;
        } catch {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        // graphql-ws has registered this operation already; count before anything awaits.
        if (Object.keys(ctx.subscriptions).length > options.maxOperationsPerSocket) {
          return [limitError(LIMIT_CODES.socketOperations, `A socket may run at most ${options.maxOperationsPerSocket} operations at once`)];
        }
        let viewer: Viewer;
        try {
          viewer = ctx.extra.viewer = await options.authenticate(ctx.extra.authorization);
        } catch (err) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return [err instanceof GraphQLError ? err : new GraphQLError('Unauthorized')];
        }
        const decision = await options.rateLimiter.take(rateLimitKey(viewer, ctx.extra.request.socket.remoteAddress));
        if (!decision.ok) return [rateLimitedError(decision.retryAfterSeconds)];
        const checked = checkDocument(options.schema, payload.query);
        if (checked.errors) return checked.errors;
        if (getOperationAST(checked.document, payload.operationName)?.operation === 'subscription') {
          const refused = await options.alerts.check(checked.document, payload.variables ?? undefined, payload.operationName ?? undefined);
          if (refused) return refused;
        }
        if (usesIntrospection(checked.document)) {
          try {
            assertCanIntrospect(viewer, options);
          } catch (err) {
            if (!(err instanceof GraphQLError)) throw err;
            return [err];
          }
        }
        return { schema: options.schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables };
      },
      execute: async (args: ExecutionArgs) => {
        const deadline = options.deadlines.start(args.contextValue as object);
        try {
          const result = await execute(args);
          // The deadline covers serialisation too (execution-deadline.ts): an answer too large to send in time is refused.
          if (deadline && !('next' in result)) deadline.admitSerialisation(result);
          return deadline?.cut ? { errors: [deadline.error()] } : result;
        } finally {
          deadline?.stop();
        }
      },
      context: (ctx, id) => {
        const context = options.context(ctx.extra.viewer!, `ws-${++operations}`);
        operationOf.set(context, { id, socket: ctx.extra.socket });
        return context;
      },
      subscribe: (args: ExecutionArgs) => {
        const context = args.contextValue as HubContext;
        const { id, socket } = operationOf.get(context)!;
        return options.alerts.subscribe(context.viewer, transportFor(id, socket), args.document, args.variableValues ?? undefined, args.operationName ?? undefined);
      },
      onNext: (_ctx, _id, _payload, args, result: ExecutionResult) => {
        const redacted = (args.contextValue as HubContext | undefined)?.redacted;
        if (!result.errors?.length && !redacted?.size) return undefined;
        return formatForTransport(result, redacted, (err) => log.error({ err }, 'unexpected error'));
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => formatHubError(e.toJSON(), e, (err) => log.error({ err }, 'unexpected error'))),
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
    close: async () => {
      unsubscribeMembers();
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await serverCleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
