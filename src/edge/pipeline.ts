/**
 * The edge's one request pipeline, transport-free (graphql-ws's `makeServer` of the hub): every
 * way in (HTTP through Apollo, graphql-ws, TAXII, and any channel added later) adapts to it, so
 * that each limit, refusal and error format is written once.
 *
 *   admit(authorization, remoteAddress) -> Viewer     authenticate, anonymous reads (policy), rate limit
 *   prepare(viewer, request) -> PreparedOperation     cached parse + validate with every limit, operation,
 *                                                     introspection gate (policy), response budget
 *   execute(prepared, context) -> ExecutionResult      variables coerced once (graphql-js), under the
 *                                                     execution deadline
 *   format(result, context) -> FormattedExecutionResult  masking, `extensions.redacted`; the catalogue
 *                                                     maps a code to an HTTP status or close code
 *
 * docs/architecture.md follows a request through it.
 */
import {
  execute,
  getOperationAST,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { Logger } from 'pino';
import type { HubContext } from '../context.js';
import { formatHubError } from '../http/error-format.js';
import type { ExecutionDeadlines } from '../http/execution-deadline.js';
import { checkDocument, LIMIT_CODES, usesIntrospection } from '../http/limits.js';
import { checkResponseBudget } from '../http/query-cost.js';
import { rateLimitedError, type RateLimiter } from '../http/rate-limiter.js';
import { formatForTransport } from '../http/redaction.js';
import { assertCanIntrospect, assertCanRead, rateLimitBucket, type Viewer } from '../policy/policy.js';
import { clip } from '../util/clip.js';
import { codeOf, INTERNAL, isPublicCode, unexpectedError } from './error-catalogue.js';
import type { RequestObserver } from './request-observer.js';
import { coerceVariables } from './variable-coercion.js';

export type Transport = 'http' | 'graphql-ws' | 'taxii' | 'misp';
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface EdgePipelineOptions {
  schema: GraphQLSchema;
  /**
   * Turns an `Authorization` header into a viewer (the Authenticator). Throws a GraphQLError with
   * a catalogue code (UNAUTHENTICATED) to refuse; any other throw is an unexpected failure
   * (a store outage): logged once, answered INTERNAL_SERVER_ERROR (HTTP 500, close 4500).
   */
  authenticate: (authorization: string | undefined, options?: { remoteAddress?: string }) => Promise<Viewer>;
  /** Whether callers without a credential may read at all (the policy decides, `assertCanRead`). */
  anonymousReads: boolean;
  /** Whether members may introspect (anonymous callers never may; `assertCanIntrospect`). */
  introspection: boolean;
  /** The one rate limiter every transport draws from. Default: no limit. */
  rateLimiter?: RateLimiter;
  /** The execution time limit of queries and mutations. */
  deadlines: ExecutionDeadlines;
  /** Builds an operation's context for a viewer. */
  context: (viewer: Viewer, requestId: string) => HubContext;
  /** Unexpected failures are logged here, once, with the request id; callers' mistakes at debug only. */
  log: Logger;
  /** Told how every request on every transport ended (metrics). Default: nobody. */
  observer?: RequestObserver;
}

/** Who is asking, as a transport knows it. */
export interface Admission {
  transport: Transport;
  /** The whole `Authorization` header (or graphql-ws's `connectionParams.authorization`). */
  authorization: string | undefined;
  remoteAddress: string | undefined;
  requestId: string;
  /** Whether this admission takes a token from the caller's bucket. Default true (graphql-ws's `connection_init` does not). */
  draw?: boolean;
}

/** A GraphQL request as every transport carries it. */
export interface OperationRequest {
  query: string;
  variables?: Readonly<Record<string, unknown>> | null;
  operationName?: string | null;
}

/** An operation ready to run: its document checked, its variables coerced, the viewer allowed. */
export interface PreparedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationType: Exclude<OperationType, 'unknown'>;
  operationName: string | undefined;
  /** The variables as the caller sent them (graphql-js coerces them when it runs; a subscription's were checked by `prepare`). */
  variables: Readonly<Record<string, unknown>> | undefined;
}

export type Prepared = { prepared: PreparedOperation; errors?: undefined } | { prepared?: undefined; errors: GraphQLError[] };

/** An error as the log may hold it: type and message clipped, stack kept (it is the hub's own code). */
function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, message: clip(String(err), 500) };
  return { type: err.name, message: clip(err.message, 500), stack: clip(err.stack ?? '', 4_000) };
}

const TRACE = Symbol('edge.trace');

/** One request on its way through the edge: what the observer is told when it ends. */
export interface RequestTrace {
  readonly transport: Transport;
  readonly requestId: string;
  readonly startedAt: number;
  operationType: OperationType;
  /** 'OK' or the catalogue code the caller was answered with. */
  code: string;
}

export class EdgePipeline {
  readonly schema: GraphQLSchema;

  constructor(private readonly options: EdgePipelineOptions) {
    this.schema = options.schema;
  }

  /**
   * admit: the viewer behind a credential, if it may read at all and its bucket is not empty.
   * Throws a GraphQLError with the catalogue's code: UNAUTHENTICATED, RATE_LIMITED (with
   * `extensions.retryAfter`), or INTERNAL_SERVER_ERROR for an unexpected failure (logged here,
   * once, with the request id).
   */
  async admit(admission: Admission): Promise<Viewer> {
    let viewer: Viewer;
    try {
      viewer = await this.options.authenticate(admission.authorization, { remoteAddress: admission.remoteAddress });
      assertCanRead(viewer, { anonymousReads: this.options.anonymousReads });
    } catch (err) {
      throw this.refusal(err, admission);
    }
    if (admission.draw === false || !this.options.rateLimiter) return viewer;
    let decision;
    try {
      decision = await this.options.rateLimiter.take(rateLimitBucket(viewer, admission.remoteAddress));
    } catch (err) {
      throw this.refusal(err, admission);
    }
    if (!decision.ok) {
      this.options.observer?.rateLimited(admission.transport);
      throw rateLimitedError(decision.retryAfterSeconds);
    }
    return viewer;
  }

  /** A refusal a caller may read, or (for anything else) the masked error, logged once. */
  private refusal(err: unknown, admission: Admission): GraphQLError {
    if (err instanceof GraphQLError && isPublicCode(err.extensions.code)) {
      // The authenticator's own limit on refused credentials is a rate limit too.
      if (err.extensions.code === LIMIT_CODES.rate) this.options.observer?.rateLimited(admission.transport);
      return err;
    }
    this.unexpected(err, admission.requestId, admission.transport);
    return unexpectedError();
  }

  /** Logs an unexpected failure once, with the request id. */
  unexpected(err: unknown, requestId: string, transport?: Transport): void {
    this.options.log.error({ err: loggable(err), requestId, ...(transport ? { transport } : {}) }, 'unexpected error');
  }

  /** Builds the context an admitted viewer's operation runs with. */
  context(viewer: Viewer, requestId: string): HubContext {
    return this.options.context(viewer, requestId);
  }

  /**
   * prepare: parses and validates `query` (cached by source text, with every limit of limits.ts),
   * then `prepareDocument`. Errors carry the catalogue's codes and messages fit to show.
   */
  prepare(viewer: Viewer, request: OperationRequest): Prepared {
    const checked = checkDocument(this.schema, request.query);
    if (checked.errors) return { errors: checked.errors };
    return this.prepareDocument(viewer, checked.document, request);
  }

  /**
   * The part of `prepare` after validation, for a transport that parsed and validated with the
   * same options already (Apollo): the operation, the introspection gate, a subscription's
   * variables, the response budget.
   */
  prepareDocument(viewer: Viewer, document: DocumentNode, request: Omit<OperationRequest, 'query'>): Prepared {
    const operationName = request.operationName ?? undefined;
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      const message = operationName ? `Unknown operation named "${clip(operationName, 64)}".` : 'Must provide operation name if query contains multiple operations.';
      return { errors: [new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })] };
    }
    if (usesIntrospection(document)) {
      try {
        assertCanIntrospect(viewer, this.options);
      } catch (err) {
        if (!(err instanceof GraphQLError)) throw err;
        return { errors: [err] };
      }
    }
    const variables = request.variables ? { ...request.variables } : undefined;
    // A subscription's arguments are read from its variables before anything executes (the alert
    // fan-out): they are checked here. A query's or mutation's are coerced once, by graphql-js
    // when it runs (`execute`), and a failure there is answered as `coerceVariables` words it.
    if (operation.operation === 'subscription' && operation.variableDefinitions?.length) {
      const coerced = coerceVariables(this.schema, operation, variables);
      if (coerced.errors) return { errors: coerced.errors };
    }
    // The response budget (docs/limits.md, "Lists and cost"), weighed with the variables' sizes
    // (variables that do not coerce are let through, to fail at execution).
    const tooLarge = checkResponseBudget(this.schema, document, operationName, variables);
    if (tooLarge) return { errors: [tooLarge] };
    return { prepared: { document, operation, operationType: operation.operation, operationName, variables } };
  }

  /**
   * execute: runs a query or mutation under the execution deadline. Variables that do not coerce
   * answer `coerceVariables`' BAD_USER_INPUT errors and no data, nothing having run. Time running
   * out answers a single EXECUTION_TIMEOUT error and no data. (Subscriptions are served by the
   * alert fan-out.)
   */
  async execute(prepared: Pick<PreparedOperation, 'document' | 'operationName' | 'variables'>, context: HubContext): Promise<ExecutionResult> {
    const deadline = this.options.deadlines.start(context);
    try {
      // The whole execution races the deadline: whatever is still awaited when time runs out is abandoned.
      const run = execute({
        schema: this.schema,
        document: prepared.document,
        operationName: prepared.operationName,
        variableValues: prepared.variables,
        contextValue: context,
      });
      // Without data, graphql-js refused before running anything: the operation (prepare found it)
      // or, here, its variables. Its messages quote values in full and suggest names: answer as
      // `coerceVariables` words it instead (coercing a second time only on this failure path).
      if (!(run instanceof Promise) && run.data === undefined && run.errors?.length) return { errors: this.variableErrors(prepared, run.errors, context) };
      const result = await this.options.deadlines.run(deadline, run);
      // The deadline covers serialisation too: an answer too large to serialise in time is refused (execution-deadline.ts).
      deadline?.admitSerialisation(result);
      return deadline?.cut ? { errors: [deadline.error()] } : result;
    } finally {
      deadline?.stop();
    }
  }

  /** The caller's errors for variables graphql-js refused with `refused`. */
  private variableErrors(
    prepared: Pick<PreparedOperation, 'document' | 'operationName' | 'variables'>,
    refused: readonly GraphQLError[],
    context: Pick<HubContext, 'requestId'>,
  ): GraphQLError[] {
    const operation = getOperationAST(prepared.document, prepared.operationName);
    const coerced = operation ? coerceVariables(this.schema, operation, prepared.variables) : undefined;
    if (coerced?.errors) return coerced.errors;
    // graphql-js and coerceVariables disagree: the hub's fault, logged (clipped) and never shown.
    this.unexpected(new Error(`graphql-js refused what coerceVariables accepted: ${clip(refused[0]?.message ?? '', 300)}`), context.requestId);
    return [unexpectedError()];
  }

  /** format: what a caller receives of a result: errors masked (unexpected ones logged once), withheld fields in `extensions.redacted`. */
  format(result: ExecutionResult, context: Pick<HubContext, 'redacted' | 'requestId'>): FormattedExecutionResult {
    return formatForTransport(result, context.redacted, (err) => this.unexpected(err, context.requestId));
  }

  /** One error as a caller receives it; an unexpected one is logged once with the request id. */
  formatError(error: GraphQLError, requestId: string): GraphQLFormattedError {
    return formatHubError(error.toJSON(), error, (err) => this.unexpected(err, requestId));
  }

  /** Starts following a request; `end` it exactly once, however it ends. */
  begin(transport: Transport, requestId: string): RequestTrace {
    return { transport, requestId, startedAt: performance.now(), operationType: 'unknown', code: 'OK' };
  }

  /**
   * Ties a trace to an operation's context, for adapters that only see the context later
   * (Apollo's hooks). A symbol property, not a WeakMap: Apollo hands its hooks a copy of the context.
   */
  attach(context: object, trace: RequestTrace): void {
    (context as Record<symbol, unknown>)[TRACE] = trace;
  }

  traceOf(context: object | undefined): RequestTrace | undefined {
    return (context as Record<symbol, RequestTrace | undefined> | undefined)?.[TRACE];
  }

  /** Tells the observer a request ended, and logs a caller's refusal at debug (its code, never its text). */
  end(trace: RequestTrace): void {
    const { transport, operationType, code, requestId } = trace;
    if (code !== 'OK' && code !== INTERNAL) this.options.log.debug({ requestId, transport, code }, 'request refused');
    this.options.observer?.requestFinished({ transport, operationType, code, durationSeconds: (performance.now() - trace.startedAt) / 1_000 });
  }
}
