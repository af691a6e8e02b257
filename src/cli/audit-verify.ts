/**
 * `hub audit verify`: recomputes the audit log's hash chain and its checkpoints' signatures from
 * the store (docs/audit.md). Exit 0 when everything holds; 1 naming the first bad entry.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importJWK, type JWK } from 'jose';
import { loadSecrets } from '../auth/key-store.js';
import { ConfigError, parseConfig } from '../config.js';
import { verifyAuditChain, type ChainReport } from '../services/audit-verifier.js';
import type { AuditRepository } from '../store/ports.js';
import { withStore } from './with-store.js';

export const AUDIT_VERIFY_HELP = `Usage: npm run -s hub -- audit verify [--key FILE]

Recomputes every audit entry's hash and link, and every checkpoint's signature, from the store
the hub would open (same environment as serve), and prints a summary. Exit 0 when the log is
intact; 1, naming the first bad entry, when an entry was altered, removed or reordered.

Options:
  --key FILE   A public JWK (Ed25519) to check checkpoints with, e.g. the verificationKey of an
               auditLog answer. Default: the hub's own key in HUB_DATA_DIR.
  --help       This text.

Environment: HUB_DATA_DIR (.hub), MONGODB_URI (unset: the embedded store), and the others serve reads.
`;

/** `hub audit <subcommand>`: only `verify` so far. */
export async function auditCommand(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out.write(AUDIT_VERIFY_HELP);
    return 0;
  }
  if (sub !== 'verify') throw new ConfigError(`unknown audit command "${sub}"; the one command is "audit verify"`);
  const { values } = parseArgs({ args: rest, options: { key: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) {
    out.write(AUDIT_VERIFY_HELP);
    return 0;
  }
  const config = parseConfig(process.env);
  const keys = values.key ? await keyFromFile(values.key) : await hubKeys(config.dataDir);
  return withStore(config, (store) => runAuditVerify(store.audit, keys, out));
}

/** Verifies and prints; the exit code. Tests call it with a store in hand. */
export async function runAuditVerify(audit: AuditRepository, keys: ReadonlyMap<string, CryptoKey>, out: NodeJS.WritableStream): Promise<number> {
  const report = await verifyAuditChain(audit, keys);
  out.write(formatReport(report));
  return report.ok ? 0 : 1;
}

export function formatReport(r: ChainReport): string {
  const lines = [
    `audit verify: ${r.entries} entries${r.unchained ? ` (${r.unchained} written before the chain, positions only)` : ''}` +
      `, head ${r.head ? `at position ${r.head.seq} (${r.head.hash.slice(0, 16)}…)` : 'none'}`,
    `audit verify: ${r.checkpoints} signed checkpoints${r.latestCheckpoint ? `, the latest at position ${r.latestCheckpoint.seq} (${r.latestCheckpoint.at.toISOString()})` : ''}`,
  ];
  if (r.aggregates) lines.push(`audit verify: ${r.aggregates} refused-login aggregates (their count and lastAt are not chained: docs/audit.md)`);
  if (r.ok) lines.push('audit verify: OK, the chain and every checkpoint hold');
  else {
    const [first, ...others] = r.problems;
    lines.push(`audit verify: FAILED at position ${first!.seq}${first!.id ? `, entry ${first!.id}` : ''}: ${first!.message}`);
    for (const p of others.slice(0, 9)) lines.push(`  then at position ${p.seq}: ${p.message}`);
    if (others.length > 9) lines.push(`  and ${others.length - 9} more problems`);
  }
  return `${lines.join('\n')}\n`;
}

async function hubKeys(dataDir: string): Promise<Map<string, CryptoKey>> {
  const secrets = await loadSecrets(dataDir);
  return new Map([[secrets.kid, secrets.verifyKey]]);
}

async function keyFromFile(path: string): Promise<Map<string, CryptoKey>> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } catch (err) {
    throw new ConfigError(`--key ${path}: ${(err as Error).message}`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x || !jwk.kid || jwk.d) {
    throw new ConfigError(`--key ${path}: not a public Ed25519 JWK with a kid (as auditLog { chain { verificationKey } } gives it)`);
  }
  return new Map([[jwk.kid, (await importJWK(jwk, 'EdDSA')) as CryptoKey]]);
}
