import type { Server } from 'node:http';
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { HubContext } from '../context.js';
import type { Viewer } from '../policy/policy.js';
import { formatHubError } from './error-format.js';
import { redactedExtensions } from './redaction.js';
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
}

interface ConnectionExtra {
  viewer?: Viewer;
  authorization?: string;
  [key: PropertyKey]: unknown;
}

/**
 * graphql-ws on `/graphql`, beside HTTP. The token comes in `connection_init`
 * (`{ "authorization": "Bearer ..." }`); a bad one closes the socket with 4401. Every operation
 * re-reads the member, so a changed tier applies from the next operation on.
 */
export function attachGraphqlWs(options: WsServerOptions): { close: () => Promise<void> } {
  const { log } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: '/graphql', maxPayload: MAX_BODY_BYTES });
  let operations = 0;

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
          return true;
        } catch {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return false;
        }
      },
      onSubscribe: async (ctx) => {
        try {
          ctx.extra.viewer = await options.authenticate(ctx.extra.authorization);
        } catch (err) {
          ctx.extra.socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return [err instanceof GraphQLError ? err : new GraphQLError('Unauthorized')];
        }
        return undefined;
      },
      context: (ctx) => options.context(ctx.extra.viewer!, `ws-${++operations}`),
      onNext: (_ctx, _id, _payload, args, result: ExecutionResult) => {
        const redacted = (args.contextValue as HubContext | undefined)?.redacted;
        if (!result.errors?.length && !redacted?.size) return undefined;
        const extensions = redactedExtensions(result.extensions as Record<string, unknown> | undefined, redacted);
        return {
          ...result,
          ...(result.errors ? { errors: result.errors.map((e) => formatHubError(e.toJSON(), e, (err) => log.error({ err }, 'unexpected error'))) } : {}),
          ...(extensions ? { extensions } : {}),
        };
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => formatHubError(e.toJSON(), e, (err) => log.error({ err }, 'unexpected error'))),
    },
    wss,
  );

  return {
    close: async () => {
      for (const client of wss.clients) client.close(1001, 'Server shutting down');
      await serverCleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
