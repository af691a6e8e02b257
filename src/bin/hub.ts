#!/usr/bin/env node
/**
 * The `hub` command line: `npm run -s hub -- <command>`. Reads the environment once, here.
 */
import { parseArgs } from 'node:util';
import { loadSecrets } from '../auth/key-store.js';
import { TokenIssuer } from '../auth/token-issuer.js';
import { ConfigError, parseConfig, parseDuration } from '../config.js';
import { ROLES, type Role } from '../domain/types.js';
import { startHub } from '../main.js';
import { appendCliTokenLine } from '../services/cli-audit-log.js';

const HELP = `Usage: npm run -s hub -- <command> [options]

Commands:
  serve [--demo] [--port N]     Run the hub (GraphQL over HTTP and graphql-ws on /graphql, GET /healthz).
                                --demo seeds the demo members, indicators and notices and allows
                                anonymous reads of TLP:CLEAR records.
  token --member <id>           Print an access token signed with the hub's key (stdout: the token only).
        [--roles r1,r2]         Roles: ${ROLES.join(', ')} (default: reader).
        [--ttl 1h]              Lifetime, e.g. 15m, 1h, 7d (default 1h; at most HUB_TOKEN_MAX_LIFETIME).
        [--user <id>]           The token's subject (default: cli@<member>).
  audit verify [--key FILE]     Recompute the audit log's hash chain and checkpoint signatures (docs/audit.md).
  export --out FILE             Write every collection of the store to FILE (docs/backup.md).
  import --in FILE              Load an export into an empty store (docs/backup.md).
  help, --help                  Show this text.

Environment: PORT (4000), HOST (127.0.0.1), HUB_DATA_DIR (.hub), HUB_DEMO, HUB_ANONYMOUS_READS,
HUB_ISSUER, HUB_AUDIENCE, HUB_TOKEN_MAX_LIFETIME (24h), HUB_CLOCK_TOLERANCE (60s),
HUB_IDEMPOTENCY_TTL (24h), HUB_APPROVAL_TTL (72h), LOG_LEVEL (info),
HUB_METRICS_PORT (unset: off; 9464 with --demo), HUB_METRICS_HOST (127.0.0.1).

Demo members: demo-agency (CORE), demo-lab (CORE), demo-isac (TRUSTED), demo-enterprise (COMMUNITY).
Example: npm run --silent hub -- token --member demo-isac --roles reader,publisher
`;

class UsageError extends Error {}

/** Where `serve --demo` (`npm start`) serves Prometheus metrics unless HUB_METRICS_PORT says otherwise. */
const DEMO_METRICS_PORT = 9464;

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean' }, port: { type: 'string' } }, strict: true });
  const env: Record<string, string | undefined> = { ...process.env, ...(values.port !== undefined ? { PORT: values.port } : {}) };
  // The demo shows operators their metrics too (docs/metrics.md); HUB_METRICS_PORT set (even empty: off) wins.
  if (values.demo && env.HUB_METRICS_PORT === undefined) env.HUB_METRICS_PORT = String(DEMO_METRICS_PORT);
  const config = parseConfig(env, values.demo ? { demo: true } : {});
  const hub = await startHub(config);
  process.stderr.write(`hub: listening on ${hub.url} (graphql-ws on ${hub.wsUrl})${config.demo ? ', demo data loaded' : ''}\n`);
  if (hub.metrics) process.stderr.write(`hub: Prometheus metrics on ${hub.metrics.url}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.log.info({ signal }, 'shutting down');
    await hub.dispose();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { member: { type: 'string' }, roles: { type: 'string' }, ttl: { type: 'string' }, user: { type: 'string' } },
    strict: true,
  });
  if (!values.member) throw new UsageError('token needs --member <id>, e.g. --member demo-isac');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(values.member)) throw new UsageError(`"${values.member}" is not a member id`);
  const roles = (values.roles ?? 'reader').split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !ROLES.includes(r as Role));
  if (unknown.length) throw new UsageError(`unknown role(s) ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  const ttlMs = parseDuration(values.ttl ?? '1h');
  if (ttlMs === null) throw new UsageError(`--ttl "${values.ttl}" is not a duration such as 15m, 1h or 7d`);
  const config = parseConfig(process.env);
  const issuer = new TokenIssuer({
    secrets: await loadSecrets(config.dataDir),
    issuer: config.issuer,
    audience: config.audience,
    maxLifetimeMs: config.tokenMaxLifetimeMs,
    // This process cannot reach the hub's store: the hub reads this file into its audit log.
    onIssued: (issued) => appendCliTokenLine(config.dataDir, issued),
  });
  try {
    const jwt = await issuer.issue({ memberId: values.member, userId: values.user ?? `cli@${values.member}`, roles: roles as Role[], ttlMs });
    process.stdout.write(`${jwt}\n`);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'token':
      return token(rest);
    // Backup and the audit chain (docs/backup.md, docs/audit.md): each sets the exit code it returns.
    case 'audit':
      process.exitCode = await (await import('../cli/audit-verify.js')).auditCommand(rest);
      return;
    case 'export':
      process.exitCode = await (await import('../cli/export.js')).exportCommand(rest);
      return;
    case 'import':
      process.exitCode = await (await import('../cli/import.js')).importCommand(rest);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      throw new UsageError(`unknown command "${command}"; run with --help for the list`);
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`hub: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`hub: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`hub: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
