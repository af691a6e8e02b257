import { getOperationAST } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { RequestObserver } from '../edge/request-observer.js';
import { codeOfErrors } from './metric-labels.js';

type OperationType = Parameters<RequestObserver['requestFinished']>[0]['operationType'];

interface Running {
  started: number;
  operationType: OperationType;
}

const isAsyncIterable = (value: unknown): boolean => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * Wraps graphql-ws server options so that `observer` hears how each operation ended, from the
 * subscribe message to: its result (a query or mutation), its running (a subscription), or its
 * `error` message (refused: validation, limits, rate limit). Codes are read from what the wrapped
 * hooks send, after masking. A throw from `onSubscribe` (the socket closes 4500) counts as
 * INTERNAL_SERVER_ERROR and passes through.
 */
export function observeWsOperations<P extends Record<PropertyKey, unknown> | undefined, E>(
  options: ServerOptions<P, E>,
  observer: RequestObserver,
): ServerOptions<P, E> {
  const running = new WeakMap<object, Map<string, Running>>();
  const operationsOf = (ctx: object) => {
    let map = running.get(ctx);
    if (!map) running.set(ctx, (map = new Map()));
    return map;
  };
  // Reported once, then forgotten: graphql-ws calls no onComplete after an `error` message, and a
  // socket sending refused operations all day must not grow this map.
  const finish = (ctx: object, id: string, code: string) => {
    const op = running.get(ctx)?.get(id);
    if (!op) return;
    running.get(ctx)!.delete(id);
    if (code === 'RATE_LIMITED') observer.rateLimited('graphql-ws');
    observer.requestFinished({ transport: 'graphql-ws', operationType: op.operationType, code, durationSeconds: (performance.now() - op.started) / 1000 });
  };

  return {
    ...options,
    onSubscribe: async (ctx, id, payload) => {
      operationsOf(ctx).set(id, { started: performance.now(), operationType: 'unknown' });
      try {
        const result = await options.onSubscribe?.(ctx, id, payload);
        if (result && !Array.isArray(result)) {
          const args = result as Exclude<typeof result, readonly unknown[] | void>;
          const op = running.get(ctx)?.get(id);
          if (op) op.operationType = getOperationAST(args.document, args.operationName)?.operation ?? 'unknown';
        }
        return result;
      } catch (err) {
        finish(ctx, id, 'INTERNAL_SERVER_ERROR');
        throw err;
      }
    },
    onOperation: async (ctx, id, payload, args, result) => {
      const replaced = await options.onOperation?.(ctx, id, payload, args, result);
      if (isAsyncIterable(replaced ?? result)) finish(ctx, id, 'OK');
      return replaced;
    },
    onNext: async (ctx, id, payload, args, result) => {
      const formatted = await options.onNext?.(ctx, id, payload, args, result);
      finish(ctx, id, codeOfErrors((formatted ?? result).errors));
      return formatted;
    },
    onError: async (ctx, id, payload, errors) => {
      const formatted = await options.onError?.(ctx, id, payload, errors);
      finish(ctx, id, codeOfErrors(formatted ?? errors));
      return formatted;
    },
    onComplete: async (ctx, id, payload) => {
      running.get(ctx)?.delete(id);
      await options.onComplete?.(ctx, id, payload);
    },
  };
}
