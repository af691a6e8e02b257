/**
 * Opening the connection: fail fast and say where. If `MONGODB_URI` is set and MongoDB cannot be
 * reached, the hub stops with a message naming the host (never the credentials); it never falls
 * back to the embedded store.
 */
import { MongoClient, MongoServerError, MongoServerSelectionError, type Db, type Document } from 'mongodb';

/**
 * How long the first connection may take unless the URI sets `serverSelectionTimeoutMS`. Only the
 * start-up check uses it; later operations wait the driver's default 30 s for a primary.
 */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;

/** The database used when the URI names none (`mongodb://host/?replicaSet=rs0`). */
export const DEFAULT_DATABASE = 'hub';

/** MongoDB could not be used: unreachable, refused us, or not a replica set. The message is for the operator. */
export class MongoUnavailableError extends Error {
  override readonly name = 'MongoUnavailableError';
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  /** `host:port[,host:port]/database`, no credentials: for logs and messages. */
  where: string;
}

export interface ConnectOptions {
  /** The start-up check's timeout; default 5 s (the URI's own `serverSelectionTimeoutMS` wins over the default, and applies to every operation). */
  serverSelectionTimeoutMS?: number;
  /** The database; default the URI's, else `hub`. */
  database?: string;
}

/** The parts of a connection string that are safe to print. */
export function describeMongoUri(uri: string): string {
  const scheme = /^mongodb(?:\+srv)?:\/\//.exec(uri);
  if (!scheme) return '(not a mongodb:// URI)';
  const rest = uri.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  let authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  if (slash === -1) authority = authority.split('?')[0]!;
  const database = databaseOf(uri);
  return database ? `${authority}/${database}` : authority;
}

/** The database named in the URI's path, if any. */
export function databaseOf(uri: string): string | undefined {
  const scheme = /^mongodb(?:\+srv)?:\/\//.exec(uri);
  if (!scheme) return undefined;
  const rest = uri.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  if (slash === -1) return undefined;
  const name = decodeURIComponent(rest.slice(slash + 1).split('?')[0]!);
  return name || undefined;
}

/** Removes the URI's user-info from a driver message, should it quote the URI. */
export function scrubCredentials(message: string, uri: string): string {
  const scheme = /^mongodb(?:\+srv)?:\/\//.exec(uri);
  if (!scheme) return message;
  const rest = uri.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  let out = message.split(uri).join(`${scheme[0]}${describeMongoUri(uri)}`);
  if (at !== -1) out = out.split(authority.slice(0, at + 1)).join('');
  return out;
}

/**
 * Connects, checks the server answers, and that it is a replica set member (or mongos): the
 * adapter needs transactions (event log positions) and change streams (the multi-instance bus),
 * which a standalone server does not offer. Throws MongoUnavailableError with a readable message.
 *
 * The short server selection timeout (5 s) applies to this first check only, through a probe
 * client: the client the hub keeps uses the driver's default (30 s) unless the URI sets one,
 * because `serverSelectionTimeoutMS` bounds every later operation too, and an ordinary failover
 * (an election takes about 12 s) must delay writes, not fail them.
 */
export async function connectMongo(uri: string, options: ConnectOptions = {}): Promise<MongoConnection> {
  const where = describeMongoUri(uri);
  const uriTimeout = /[?&]serverSelectionTimeoutMS=(\d+)/i.exec(uri)?.[1];
  // Options given to the client win over the URI's, so pass one only when the URI has none.
  const probeTimeoutMs = options.serverSelectionTimeoutMS ?? (uriTimeout ? undefined : DEFAULT_SERVER_SELECTION_TIMEOUT_MS);
  const effectiveMs = probeTimeoutMs ?? Number(uriTimeout);
  const clientOptions = {
    appName: 'the-hub',
    // Fields set to undefined are left out, as the embedded store leaves them missing.
    ignoreUndefined: true,
    retryWrites: true,
    retryReads: true,
  };
  let probe: MongoClient;
  let client: MongoClient;
  try {
    probe = new MongoClient(uri, { ...clientOptions, ...(probeTimeoutMs !== undefined ? { serverSelectionTimeoutMS: probeTimeoutMs } : {}) });
    client = new MongoClient(uri, clientOptions);
  } catch (err) {
    throw new MongoUnavailableError(`MONGODB_URI is not a usable MongoDB connection string: ${scrubCredentials((err as Error).message, uri)}`);
  }
  try {
    await checkServer(probe, where, effectiveMs, uri);
  } finally {
    await probe.close().catch(() => undefined);
  }
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new MongoUnavailableError(`MongoDB at ${where} answered, then refused the connection: ${scrubCredentials((err as Error).message, uri)}`);
  }
  return { client, db: client.db(options.database ?? databaseOf(uri) ?? DEFAULT_DATABASE), where };
}

/**
 * `hello` through the probe: unreachable within the timeout, refused, too old, or standalone,
 * each said as what it is (an old server that has no `hello` is not an unreachable one).
 */
async function checkServer(probe: MongoClient, where: string, timeoutMs: number, uri: string): Promise<void> {
  let hello: Document;
  try {
    await probe.connect();
    hello = await probe.db('admin').command({ hello: 1 });
  } catch (err) {
    const reason = scrubCredentials((err as Error).message, uri);
    if (err instanceof MongoServerSelectionError) {
      // The driver's own compatibility check ("reports wire version 6, but this version of the
      // driver requires at least 9 (MongoDB 4.4)") surfaces as a selection timeout: name it.
      if (/wire version/i.test(reason)) throw new MongoUnavailableError(`MongoDB at ${where} is too old for the hub (${reason}); the hub needs MongoDB 4.4 or later, 7 is the target`);
      throw new MongoUnavailableError(
        `cannot reach MongoDB at ${where} within ${timeoutMs / 1000}s: ${reason}. The hub does not fall back to the embedded store: start MongoDB, or unset MONGODB_URI to run embedded`,
      );
    }
    if (err instanceof MongoServerError && (err.code === 59 || err.codeName === 'CommandNotFound')) {
      throw new MongoUnavailableError(`MongoDB at ${where} answered but does not know the \`hello\` command (${reason}): it is older than MongoDB 4.4 or not MongoDB; the hub needs MongoDB 4.4 or later, 7 is the target`);
    }
    if (err instanceof MongoServerError && (err.code === 18 || err.codeName === 'AuthenticationFailed')) {
      throw new MongoUnavailableError(`MongoDB at ${where} refused the credentials in MONGODB_URI (${reason})`);
    }
    throw new MongoUnavailableError(`MongoDB at ${where} answered, but could not be used: ${reason}`);
  }
  if (!hello.setName && hello.msg !== 'isdbgrid') {
    throw new MongoUnavailableError(
      `MongoDB at ${where} is a standalone server; the hub needs a replica set (transactions and change streams): start mongod with --replSet and run rs.initiate() once (the compose file does both)`,
    );
  }
}
