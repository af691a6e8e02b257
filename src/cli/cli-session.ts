/**
 * What a CLI command acts through: the store the configuration names (the same one the running
 * hub uses), the services built over it exactly as `startHub` builds them, and the viewer of the
 * person named by `--as`, resolved by the hub's own Authenticator.
 */
import { pino, type Logger } from 'pino';
import { loadSecrets } from '../auth/key-store.js';
import { TokenIssuer } from '../auth/token-issuer.js';
import { parseConfig, type HubConfig } from '../config.js';
import type { Services } from '../context.js';
import { ROLES } from '../domain/types.js';
import { buildServices, type HubServices } from '../hub-services.js';
import type { Viewer } from '../policy/policy.js';
import { openStorage } from '../store/open-storage.js';
import type { Store } from '../store/ports.js';
import { CommandError } from './command.js';

export interface CliSession {
  config: HubConfig;
  store: Store;
  services: Services;
  /** Signs (and audits, as issued via the CLI) tokens with the hub's key. */
  tokens: TokenIssuer;
  /** The viewer of person `personId`, exactly as the hub would see that person's token. */
  viewerAs(personId: string): Promise<Extract<Viewer, { kind: 'member' }>>;
  close(): Promise<void>;
}

/**
 * How long the in-process credential that resolves `--as` lives. It never leaves the process:
 * it exists so that the Authenticator, and nothing else, decides who the person is.
 */
const ACTING_TOKEN_TTL_MS = 60_000;

/** The CLI's log: errors on stderr unless LOG_LEVEL says otherwise (stdout is the command's answer). */
function cliLogger(env: NodeJS.ProcessEnv): Logger {
  const level = env.LOG_LEVEL || 'error';
  return pino({ level, base: { service: 'hub-cli' } }, pino.destination(2));
}

/**
 * Opens the store the environment names. Refuses a store no other process can see (the in-memory
 * embedded store): what the CLI wrote there would vanish when it exits.
 */
export async function openCliSession(env: NodeJS.ProcessEnv): Promise<CliSession> {
  const config = parseConfig(env);
  const log = cliLogger(env);
  const secrets = await loadSecrets(config.dataDir);
  const storage = await openStorage(config, log);
  if (!storage.shared) {
    await storage.store.close();
    throw new CommandError(
      'STORE_NOT_SHARED',
      'this store lives only inside one process, so a command cannot change what a running hub sees: set MONGODB_URI (docs/mongodb.md) or use the durable embedded store',
    );
  }
  let built: HubServices;
  try {
    built = await buildServices({ config, store: storage.store, bus: storage.bus, secrets, log, issuedVia: 'cli' });
  } catch (err) {
    await storage.store.close();
    throw err;
  }
  // Signs the in-process acting credential; not audited (it is never handed out), unlike `tokens`.
  const acting = new TokenIssuer({ secrets, issuer: config.issuer, audience: config.audience, maxLifetimeMs: config.tokenMaxLifetimeMs });
  return {
    config,
    store: storage.store,
    services: built.services,
    tokens: built.tokens,
    viewerAs: (personId) => viewerAs(built, acting, Math.min(ACTING_TOKEN_TTL_MS, config.tokenMaxLifetimeMs), personId),
    close: async () => {
      await storage.bus.close?.();
      await storage.store.close();
    },
  };
}

async function viewerAs(built: HubServices, acting: TokenIssuer, ttlMs: number, personId: string): Promise<Extract<Viewer, { kind: 'member' }>> {
  const person = await findPerson(built.services, personId);
  if (!person) throw new CommandError('NOT_FOUND', `--as: no person "${personId}" in this hub (see: hub person list)`);
  // Every role claimed: a token's roles only narrow what the hub grants the person, so the
  // Authenticator's answer is exactly the person's current roles, capped by the member's.
  const jwt = await acting.issue({ memberId: person.memberId, userId: person.id, roles: [...ROLES], ttlMs });
  let viewer: Viewer;
  try {
    viewer = await built.authenticate(`Bearer ${jwt}`);
  } catch (err) {
    throw new CommandError('UNAUTHENTICATED', `--as ${personId}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (viewer.kind !== 'member') throw new CommandError('UNAUTHENTICATED', `--as ${personId}: not a member's person`);
  return viewer;
}

/** A person's id and member, or null when unknown. */
async function findPerson(services: Services, personId: string): Promise<{ id: string; memberId: string } | null> {
  const person = await services.people.get(personId);
  return person && { id: person._id, memberId: person.memberId };
}

/** `--as <personId>`: who a command acts as. */
export const AS_OPTION = { type: 'string', value: '<person-id>', description: 'the person the command acts as (their roles decide, as in the API)', required: true } as const;

/** Opens a session, resolves `--as`, runs `act`, and closes the session whatever happens. */
export async function actAs<T>(
  env: NodeJS.ProcessEnv,
  personId: string,
  act: (viewer: Extract<Viewer, { kind: 'member' }>, session: CliSession) => Promise<T>,
): Promise<T> {
  const session = await openCliSession(env);
  try {
    return await act(await session.viewerAs(personId), session);
  } finally {
    await session.close();
  }
}
