/**
 * Runs a transaction with the driver's `withTransaction` semantics (retry the whole transaction on
 * a TransientTransactionError, retry the commit on an UnknownTransactionCommitResult), within a
 * time budget the caller chooses.
 *
 * Kept by hand rather than `session.withTransaction` because that one retries for a fixed 120 s
 * (its `timeoutMS` is a no-op without client-side operation timeouts), so a commit that cannot
 * reach a majority keeps a publish waiting two minutes; and it does not retry a server selection
 * error (no primary yet during an election), which is as transient inside a transaction as out.
 */
import { MongoErrorLabel, MongoServerSelectionError, type ClientSession, type MongoClient, type TransactionOptions } from 'mongodb';

export interface TransactionBudget {
  /** How long all attempts together may take before the last error is thrown. */
  budgetMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Backoff before attempt n (1-based): 5 ms doubling to at most 500 ms, with jitter, as the driver does. */
function backoffMs(attempt: number): number {
  return Math.random() * Math.min(5 * 2 ** attempt, 500);
}

function hasLabel(err: unknown, label: string): boolean {
  return typeof (err as { hasErrorLabel?: unknown })?.hasErrorLabel === 'function' && (err as { hasErrorLabel(l: string): boolean }).hasErrorLabel(label);
}

/** The whole transaction may be run again: nothing of it was committed. */
export function isTransientTransactionError(err: unknown): boolean {
  return hasLabel(err, MongoErrorLabel.TransientTransactionError) || err instanceof MongoServerSelectionError;
}

/** The commit's outcome is unknown (e.g. a write concern timeout): commit again, it is idempotent. */
function isUnknownCommitResult(err: unknown): boolean {
  return hasLabel(err, MongoErrorLabel.UnknownTransactionCommitResult) && (err as { code?: number }).code !== 50; // 50: MaxTimeMSExpired
}

export async function runTransaction<T>(
  client: MongoClient,
  work: (session: ClientSession) => Promise<T>,
  options: TransactionOptions,
  { budgetMs }: TransactionBudget,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  const session = client.startSession();
  try {
    for (let attempt = 1; ; attempt++) {
      session.startTransaction(options);
      let result: T;
      try {
        result = await work(session);
      } catch (err) {
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (isTransientTransactionError(err) && Date.now() < deadline) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw err;
      }
      for (let commit = 1; ; commit++) {
        try {
          await session.commitTransaction();
          return result;
        } catch (err) {
          if (Date.now() >= deadline) throw err;
          if (isUnknownCommitResult(err)) {
            await sleep(backoffMs(commit));
            continue;
          }
          if (hasLabel(err, MongoErrorLabel.TransientTransactionError)) break; // run it all again
          throw err;
        }
      }
      await sleep(backoffMs(attempt));
    }
  } finally {
    await session.endSession().catch(() => undefined);
  }
}
