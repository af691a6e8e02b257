import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, getNamedType, isLeafType, type ExecutionResult, type GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { LIMIT_CODES, limitError } from './limits.js';
import { RESPONSE_BUDGET } from './query-cost.js';

/**
 * Where an operation's context holds its deadline: a symbol-keyed property (read on every
 * resolver call, it is cheaper than a WeakMap lookup; nothing else can name it).
 */
const RUNNING = Symbol('executionDeadline');

const isPromise = (value: unknown): value is Promise<unknown> => typeof (value as Promise<unknown> | null)?.then === 'function';

/**
 * The serialising speed the deadline assumes, in characters of JSON per ms: a deliberately low
 * figure (this project's 2-core machine serialises 40,000 to 80,000 per ms when busy), so that an
 * answer admitted for serialisation finishes before the deadline on a loaded server too.
 */
export const SERIALISE_CHARS_PER_MS = 20_000;

/**
 * The most characters an answer can hold: the response budget that the cost analysis enforces
 * before execution (docs/limits.md, "Lists and cost"). An operation that ends with time enough
 * left to serialise this much at SERIALISE_CHARS_PER_MS (3.2 s) is not measured at all: with the
 * default 10 s limit that is nearly every operation, so the guard costs them nothing.
 */
export const MAX_ANSWER_CHARS = RESPONSE_BUDGET.chars;

/** Values walked between two looks at the clock while sizing an answer. */
const CLOCK_EVERY = 1_024;

function describe(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * One operation's clock. Once it runs out no resolver starts, and every resolver still awaited
 * fails at once; the operation then answers a single EXECUTION_TIMEOUT error (`cut`).
 */
export class ExecutionDeadline {
  /** Whether some field was refused or abandoned because time ran out. */
  cut = false;
  private expired = false;
  private checks = 0;
  private readonly at: number;
  private readonly timer: NodeJS.Timeout;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly timeoutMs: number) {
    this.at = performance.now() + timeoutMs;
    this.timer = setTimeout(() => this.expire(), timeoutMs);
    this.timer.unref();
  }

  /** The error the operation answers with once `cut`. */
  error(): GraphQLError {
    return limitError(LIMIT_CODES.time, `The operation ran longer than the ${describe(this.timeoutMs)} execution limit`);
  }

  /**
   * Throws EXECUTION_TIMEOUT when time is up. Called before every resolver the hub wrote; the
   * clock is read on the first call and every 32nd after it (the timer sets `expired` whenever the
   * event loop gets to it): a page of 50 nodes calls this a few hundred times, and reading the
   * clock each time cost more than the checks themselves. At most 31 resolvers start past the limit.
   */
  check(): void {
    if (!this.expired && (this.checks++ & 31) !== 0) return;
    if (!this.expired && performance.now() < this.at) return;
    this.expired = true;
    this.cut = true;
    throw this.error();
  }

  /** `value`, or EXECUTION_TIMEOUT if time runs out first (the work itself is not cancelled). */
  race<T>(value: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abandon = () => {
        this.cut = true;
        reject(this.error());
      };
      this.waiting.add(abandon);
      value.then(
        (v) => (this.waiting.delete(abandon), resolve(v)),
        (e: unknown) => (this.waiting.delete(abandon), reject(e)),
      );
    });
  }

  /**
   * Whether the answer `result` can still be serialised before the deadline; when not, marks the
   * operation `cut` (it then answers EXECUTION_TIMEOUT, like any operation past its limit). Call it
   * after execution, before the answer is serialised. Why: JSON.stringify cannot be interrupted,
   * and a cheap query can ask for an answer of tens of megabytes whose serialisation blocks the
   * event loop for seconds. So the answer's size is measured first, in one walk over its values
   * (O(values), not O(characters): a string's length is free), looking at the clock every
   * 1,024 values, and serialisation starts only if, at SERIALISE_CHARS_PER_MS, it ends in time.
   * When the time left could serialise the largest answer the response budget allows, there is
   * nothing to measure.
   */
  admitSerialisation(result: { data?: unknown }): boolean {
    if (this.cut) return false;
    if (this.at - performance.now() >= MAX_ANSWER_CHARS / SERIALISE_CHARS_PER_MS) return true;
    const size = new AnswerSize(this.at);
    size.add(result.data);
    if (size.late || performance.now() + size.chars / SERIALISE_CHARS_PER_MS > this.at) {
      this.expired = true;
      this.cut = true;
      return false;
    }
    return true;
  }

  /** Ends the operation's clock (call it when execution ends, however it ends). */
  stop(): void {
    clearTimeout(this.timer);
    this.waiting.clear();
  }

  private expire(): void {
    this.expired = true;
    for (const abandon of this.waiting) abandon();
    this.waiting.clear();
  }
}

/**
 * The characters an answer's JSON will take (about: numbers, booleans and null count 8), summed
 * in one walk that looks at the clock every CLOCK_EVERY values and stops once past `at`. A
 * class with a plain recursive method, not a closure, and indexed loops over `Object.keys`
 * (graphql-js builds results as prototype-less objects, which `for...in` walks slowly): this runs
 * on every answer.
 */
class AnswerSize {
  chars = 0;
  late = false;
  private values = 0;

  constructor(private readonly at: number) {}

  add(value: unknown): void {
    if (this.late) return;
    if (++this.values % CLOCK_EVERY === 0 && performance.now() >= this.at) {
      this.late = true;
      return;
    }
    if (typeof value === 'string') {
      this.chars += value.length + 2;
    } else if (value === null || typeof value !== 'object') {
      this.chars += 8;
    } else if (Array.isArray(value)) {
      this.chars += value.length + 1;
      for (let i = 0; i < value.length; i++) this.add(value[i]);
    } else {
      const keys = Object.keys(value);
      this.chars += keys.length + 1;
      for (let i = 0; i < keys.length; i++) {
        this.chars += keys[i]!.length + 3;
        this.add((value as Record<string, unknown>)[keys[i]!]);
      }
    }
  }
}

/**
 * Execution time limits for queries and mutations, the same on both transports. A transport
 * `start`s a deadline for an operation's context when execution begins and `race`s the whole
 * execution against it (so whatever is still awaited when time runs out is abandoned, wherever
 * it is); `instrument` makes the schema's resolvers check it before they start. Resolvers are
 * checked, not pre-empted: with the embedded store a resolver runs to its end, and the limit
 * applies at the next checked field.
 *
 * Checked are the root fields and every field whose value is an object or a list: where work
 * fans out. Resolvers of scalar and enum fields are not wrapped: they finish what their parent
 * started, and a page of 50 nodes has 150 of them, which cost the list query 3 to 5% with a
 * wrapper each (docs/performance.md).
 */
export class ExecutionDeadlines {

  /** @param timeoutMs the limit, in ms; 0 turns it off. */
  constructor(readonly timeoutMs: number) {}

  /** Starts the clock for the operation whose context is `context`; undefined when off. */
  start(context: object): ExecutionDeadline | undefined {
    if (this.timeoutMs <= 0) return undefined;
    const deadline = new ExecutionDeadline(this.timeoutMs);
    (context as { [RUNNING]?: ExecutionDeadline })[RUNNING] = deadline;
    return deadline;
  }

  /** A copy of `schema` whose resolvers (those the hub wrote: default ones are property reads) honour deadlines. */
  instrument(schema: GraphQLSchema): GraphQLSchema {
    const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name]);
    return mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (field, _fieldName, typeName) => {
        if (!field.resolve || field.resolve === defaultFieldResolver) return field;
        if (!roots.has(typeName) && isLeafType(getNamedType(field.type))) return field;
        const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve;
        return {
          ...field,
          resolve: (source, args, context, info) => {
            (context as { [RUNNING]?: ExecutionDeadline } | null | undefined)?.[RUNNING]?.check();
            return resolve(source, args, context, info);
          },
        };
      },
    });
  }

  /**
   * `execution` (graphql-js's `execute`, a result or a promise of one) under `deadline`: the
   * result, or, once `cut`, the single EXECUTION_TIMEOUT error (also when time ran out while
   * something was still awaited).
   */
  async run(deadline: ExecutionDeadline | undefined, execution: ExecutionResult | Promise<ExecutionResult>): Promise<ExecutionResult> {
    if (!deadline) return execution;
    try {
      const result = isPromise(execution) ? await deadline.race(execution) : execution;
      return deadline.cut ? { errors: [deadline.error()] } : result;
    } catch (err) {
      if (deadline.cut) return { errors: [deadline.error()] };
      throw err;
    }
  }
}
