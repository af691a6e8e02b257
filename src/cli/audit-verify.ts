/**
 * `hub audit verify`: recomputes the audit log's hash chain and its checkpoints' signatures from
 * the store (docs/audit.md). Exit 0 when everything holds; 1 naming the first bad entry.
 */
import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import { loadSecrets } from '../auth/key-store.js';
import { parseConfig } from '../config.js';
import { verifyAuditChain, type ChainReport } from '../services/audit-verifier.js';
import type { AuditRepository } from '../store/ports.js';
import { STORE_ENV, str, UsageError, type Command } from './command.js';
import { withStore } from './with-store.js';

export const auditVerifyCommand: Command = {
  path: ['audit', 'verify'],
  summary: "Recompute the audit log's hash chain and checkpoint signatures; exit 1 naming the first bad entry.",
  details: `Reads the store the hub would open (same environment as serve): every entry's hash from its
content, every link to the entry before it, gap-free positions, and every signed checkpoint (its
signature, and that the entry it names is still there, unchanged). Prints a summary; exit 0 when
the log is intact, 1 when an entry was altered, removed or reordered (docs/audit.md).`,
  options: {
    key: { type: 'string', value: '<file>', description: "a public Ed25519 JWK to check checkpoints with, e.g. an auditLog answer's chain.verificationKey (default: the hub's key in HUB_DATA_DIR)" },
  },
  env: STORE_ENV,
  examples: ['npm run -s hub -- audit verify', 'MONGODB_URI=mongodb://db.example/hub npm run -s hub -- audit verify --key hub-key.jwk.json'],
  async run({ values, env }) {
    const config = parseConfig(env);
    const keyFile = str(values, 'key');
    const keys = keyFile ? await keyFromFile(keyFile) : await hubKeys(config.dataDir);
    const report = await withStore(config, (store) => verifyAuditChain(store.audit, keys));
    if (!report.ok) process.exitCode = 1;
    return { text: formatReport(report).trimEnd(), json: report };
  },
};

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
    throw new UsageError(`--key ${path}: ${(err as Error).message}`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x || !jwk.kid || jwk.d) {
    throw new UsageError(`--key ${path}: not a public Ed25519 JWK with a kid (as auditLog { chain { verificationKey } } gives it)`);
  }
  return new Map([[jwk.kid, (await importJWK(jwk, 'EdDSA')) as CryptoKey]]);
}
