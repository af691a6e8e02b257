/**
 * The audit log's hash chain (docs/audit.md): every entry links to the one before it, the hub
 * signs the head, `auditLog` gives a hub-admin what a verifier needs and a member-admin nothing of
 * it, and `audit verify` passes on an untouched store and names the first bad entry of one whose
 * entries were edited, removed or reordered in the storage itself: a copy of the store changed on
 * the way (the in-process store), the SQLite file changed with SQL and checked by the real CLI, and
 * MongoDB changed with the driver when MONGODB_URI is set (docs/mongodb.md), through the CLI too.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSecrets } from '../src/auth/key-store.js';
import type { AuditEntry } from '../src/domain/types.js';
import { runAuditVerify } from '../src/cli/audit-verify.js';
import { exportStore } from '../src/cli/export.js';
import { decodeValue } from '../src/store/backup-format.js';
import { entryHash } from '../src/services/audit-chain.js';
import { appendToChain } from '../src/services/audit-service.js';
import { verifyAuditChain } from '../src/services/audit-verifier.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { createSqliteStore, sqliteStorePath } from '../src/store/sqlite/sqlite-store.js';
import { STORE_COLLECTIONS, type Store, type StoreCollectionName, type StoredDocument } from '../src/store/ports.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';
import { HUB_BIN } from './support/hub-bin.js';

const AUDIT = `query($first: Int) {
  auditLog(first: $first) {
    edges { node { id seq memberId action details hash previousHash canonical } }
    chain { algorithm verificationKey checkpoints(first: 10) { position headHash at keyId jws } }
  }
}`;

/** A store's every document, by collection, as export gives them (decoded). */
async function dump(store: Store): Promise<Map<StoreCollectionName, StoredDocument[]>> {
  const lines: string[] = [];
  await exportStore(store, async (text) => void lines.push(text));
  const out = new Map<StoreCollectionName, StoredDocument[]>(STORE_COLLECTIONS.map((c) => [c, []]));
  for (const line of lines.slice(1, -1)) {
    const { c, d } = JSON.parse(line) as { c: StoreCollectionName; d: unknown };
    out.get(c)!.push(decodeValue(d) as StoredDocument);
  }
  return out;
}

/**
 * The embedded store's entries are a private field that no caller can reach; an attacker with the
 * storage in hand is played by copying every document into a fresh store with the audit entries
 * changed on the way: what is left is exactly the storage as the attacker wrote it.
 */
async function tampered(store: Store, change: (entries: AuditEntry[]) => AuditEntry[]): Promise<Store> {
  const docs = await dump(store);
  const copy = createMemoryStore();
  for (const [name, list] of docs) {
    const written = name === 'audit' ? (change(list as unknown as AuditEntry[]) as unknown as StoredDocument[]) : list;
    if (written.length) await copy.backup[name].load(written);
  }
  return copy;
}

function output(): { write(text: string): boolean; text: string } {
  return {
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

let t: TestHub;
let admin: string;
let alphaAdmin: string;
let keys: Map<string, CryptoKey>;

beforeAll(async () => {
  t = await startTestHub();
  await t.member('alpha', 'CORE', { allowedRoles: ['reader', 'publisher', 'member-admin'] }).publishes([{ value: 'one.chain.example' }, { value: 'two.chain.example' }]);
  await t.member('beta', 'TRUSTED', { allowedRoles: ['reader', 'publisher', 'member-admin'] }).publishes([{ value: 'three.chain.example' }]);
  await t.member('ops', 'CORE', { allowedRoles: ['reader', 'hub-admin'] }).token();
  admin = await t.tokenAs('ops', 'root@ops', ['reader', 'hub-admin']);
  alphaAdmin = await t.tokenAs('alpha', 'adm@alpha', ['reader', 'member-admin']);
  // Three refusals in one minute: one aggregate entry whose count moves after it was chained.
  const bad = `${alphaAdmin.slice(0, -4)}AAAA`;
  for (let i = 0; i < 3; i++) expect((await t.gql('{ viewer { tier } }', {}, { token: bad })).status).toBe(401);
  await t.hub.maintenance.checkpointAudit();
  await t.member('alpha', 'CORE').publishes([{ value: 'four.chain.example' }]);
  const secrets = await loadSecrets(t.dataDir);
  keys = new Map([[secrets.kid, secrets.verifyKey]]);
});

describe('the chain', () => {
  it('links every entry to the one before it, in one gap-free order, with hashes of the canonical form', async () => {
    const entries = await t.hub.store.audit.find({}, { sort: [['seq', 1]] });
    expect(entries.length).toBeGreaterThan(8);
    entries.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(i === 0 ? '0'.repeat(64) : entries[i - 1]!.hash);
      expect(e.hash).toBe(entryHash(e));
    });
    const aggregate = entries.find((e) => e.action === 'LOGIN_FAILED')!;
    expect(aggregate.details.count).toBe(3);
  });

  it('stays one line when two writers (two instances on one store) append at once', async () => {
    const store = createMemoryStore();
    const entry = (n: number, writer: string) => ({ _id: `audit--${writer}-${n}`, at: new Date(), action: 'REVOKE' as const, actor: null, memberId: 'm', target: null, summary: `${writer} ${n}`, details: {} });
    // No shared lock between the two: each is its own process as far as the chain knows.
    await Promise.all(Array.from({ length: 40 }, (_, n) => appendToChain(store.audit, entry(n, n % 2 ? 'a' : 'b'))));
    const report = await verifyAuditChain(store.audit, keys);
    expect(report).toMatchObject({ ok: true, entries: 40, head: { seq: 40 } });
  });

  it('reads an entry\'s details for `canonical` even when the page does not show them (a page without either leaves them out)', async () => {
    const only = await t.gql('{ auditLog(first: 100) { edges { node { id hash canonical } } } }', {}, { token: admin });
    expect(only.body.errors, only.text).toBeUndefined();
    const withDetails = await t.gql('{ auditLog(first: 100) { edges { node { id details } } } }', {}, { token: admin });
    const details = new Map(withDetails.body.data.auditLog.edges.map((e: any) => [e.node.id, e.node.details]));
    for (const { node } of only.body.data.auditLog.edges) {
      expect(createHash('sha256').update(node.canonical).digest('hex')).toBe(node.hash);
      // A refused-login aggregate's count is not chained: the canonical details are the rest.
      expect(details.get(node.id)).toMatchObject(JSON.parse(node.canonical).details);
    }
    const bare = await t.gql('fragment F on AuditEntry { id action } { auditLog(first: 100) { totalCount edges { node { ...F } } } }', {}, { token: admin });
    expect(bare.body.errors, bare.text).toBeUndefined();
    expect(bare.body.data.auditLog.edges.map((e: any) => e.node.id)).toEqual([...details.keys()]);
  });

  it('gives a hub-admin the hashes, the canonical text, the checkpoints and the key, each checkable by hand', async () => {
    await t.hub.maintenance.checkpointAudit();
    const res = await t.gql(AUDIT, { first: 100 }, { token: admin });
    expect(res.body.errors, res.text).toBeUndefined();
    const { edges, chain } = res.body.data.auditLog;
    const nodes = edges.map((e: any) => e.node);
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      expect(createHash('sha256').update(n.canonical).digest('hex')).toBe(n.hash);
      expect(JSON.parse(n.canonical)).toMatchObject({ _id: n.id, seq: n.seq, prevHash: n.previousHash });
      if (i + 1 < nodes.length) expect(n.previousHash).toBe(nodes[i + 1].hash);
    }
    expect(chain.algorithm).toBe('sha256/canonical-v1');
    const [latest] = chain.checkpoints;
    expect(latest).toMatchObject({ position: nodes[0].seq, headHash: nodes[0].hash });
    const key = await importJWK(chain.verificationKey, 'EdDSA');
    const { payload, protectedHeader } = await compactVerify(latest.jws, key);
    expect(protectedHeader.kid).toBe(latest.keyId);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ v: 1, seq: latest.position, headHash: latest.headHash, at: latest.at });
  });

  it('gives a member-admin nothing of the chain: its entries\' links would name entries it may not read', async () => {
    const res = await t.gql(AUDIT, { first: 100 }, { token: alphaAdmin });
    expect(res.body.errors, res.text).toBeUndefined();
    const { edges, chain } = res.body.data.auditLog;
    expect(edges.length).toBeGreaterThan(0);
    expect(chain).toBeNull();
    for (const { node } of edges) expect([node.hash, node.previousHash, node.canonical]).toEqual([null, null, null]);
  });

  it('signs a checkpoint only when the head moved (or the last one is an hour old), and on shutdown', async () => {
    const again = await t.hub.maintenance.checkpointAudit();
    expect(again).toBeNull();
    const hub = await startTestHub();
    await hub.member('gamma', 'COMMUNITY').publishes([{ value: 'five.chain.example' }]);
    const before = (await hub.hub.store.audit.checkpoints()).length;
    await hub.dispose();
    // The durable embedded store, opened again as the next start (or `audit verify`) would.
    const store = createSqliteStore(sqliteStorePath(hub.dataDir));
    try {
      const [last] = await store.audit.checkpoints(1);
      expect((await store.audit.checkpoints()).length).toBe(before + 1);
      const [head] = await store.audit.find({}, { sort: [['seq', -1]], limit: 1 });
      expect(last).toMatchObject({ seq: head!.seq, headHash: head!.hash });
    } finally {
      await store.close();
    }
  });
});

describe('audit verify on the embedded store', () => {
  const verify = async (store: Store) => {
    const out = output();
    const code = await runAuditVerify(store.audit, keys, out as unknown as NodeJS.WritableStream);
    return { code, text: out.text };
  };

  it('passes on an untouched store, and on an untouched copy of it', async () => {
    await t.hub.maintenance.checkpointAudit();
    const { code, text } = await verify(t.hub.store);
    expect(text).toMatch(/OK, the chain and every checkpoint hold/);
    expect(text).toMatch(/1 refused-login aggregates/);
    expect(code).toBe(0);
    expect((await verify(await tampered(t.hub.store, (e) => e))).code).toBe(0);
  });

  it('fails naming the entry whose content was edited', async () => {
    let victim = '';
    const store = await tampered(t.hub.store, (entries) =>
      entries.map((e) => (e.seq === 3 ? ((victim = e._id), { ...e, summary: `${e.summary} (edited)` }) : e)),
    );
    const { code, text } = await verify(store);
    expect(code).toBe(1);
    expect(text).toContain(`FAILED at position 3, entry ${victim}: entry ${victim} was altered`);
  });

  it('fails on an edit whose hashes were all recomputed: the signed checkpoint no longer matches', async () => {
    const store = await tampered(t.hub.store, (entries) => {
      const sorted = [...entries].sort((a, b) => a.seq - b.seq);
      let prev = '0'.repeat(64);
      return sorted.map((e) => {
        const changed: AuditEntry = { ...e, summary: e.seq === 2 ? 'rewritten' : e.summary, prevHash: prev };
        changed.hash = entryHash(changed);
        prev = changed.hash;
        return changed;
      });
    });
    const { code, text } = await verify(store);
    expect(code).toBe(1);
    expect(text).toMatch(/is not the entry checkpoint .* signed/);
  });

  it('fails naming where an entry was removed from the middle', async () => {
    const store = await tampered(t.hub.store, (entries) => entries.filter((e) => e.seq !== 4));
    const { code, text } = await verify(store);
    expect(code).toBe(1);
    expect(text).toMatch(/FAILED at position 5, entry \S+: entries at positions 4\.\.4 are missing/);
  });

  it('fails when the newest entries were removed: the checkpoint signed over them names the missing position', async () => {
    const [latest] = await t.hub.store.audit.checkpoints(1);
    const store = await tampered(t.hub.store, (entries) => entries.filter((e) => e.seq < latest!.seq));
    const { code, text } = await verify(store);
    expect(code).toBe(1);
    expect(text).toContain(`FAILED at position ${latest!.seq}: the entry at position ${latest!.seq}, signed by checkpoint`);
  });

  it('fails naming the first of two entries whose positions were swapped', async () => {
    const store = await tampered(t.hub.store, (entries) => entries.map((e) => (e.seq === 5 ? { ...e, seq: 6 } : e.seq === 6 ? { ...e, seq: 5 } : e)));
    const { code, text } = await verify(store);
    expect(code).toBe(1);
    expect(text).toMatch(/FAILED at position 5, entry \S+: entry \S+ does not link to the entry before it/);
  });

  it('accepts a refused-login count moved up (not chained, documented) but not one that is not a count', async () => {
    const bump = (count: unknown) => (entries: AuditEntry[]) => entries.map((e) => (e.action === 'LOGIN_FAILED' ? { ...e, details: { ...e.details, count } as AuditEntry['details'] } : e));
    expect((await verify(await tampered(t.hub.store, bump(7)))).code).toBe(0);
    const { code, text } = await verify(await tampered(t.hub.store, bump(0)));
    expect(code).toBe(1);
    expect(text).toMatch(/refused-login aggregate \S+: details.count is not a count/);
  });

  it('fails on a checkpoint signed with another key', async () => {
    const other = await loadSecrets((await startTestHub()).dataDir);
    const out = output();
    const code = await runAuditVerify(t.hub.store.audit, new Map([[other.kid, other.verifyKey]]), out as unknown as NodeJS.WritableStream);
    expect(code).toBe(1);
    expect(out.text).toMatch(/signed with key \S+, which is not the hub's key/);
  });
});

describe('audit verify on the durable embedded store (SQLite), through the CLI, tampering with the file itself', () => {
  let dataDir: string;
  const copies: string[] = [];

  /** A copy of the stopped hub's data directory (key and database), changed by `sql`. */
  function tamperedCopy(sql: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'hub-chain-sqlite-'));
    copies.push(dir);
    cpSync(dataDir, dir, { recursive: true });
    const db = new Database(sqliteStorePath(dir));
    try {
      for (const statement of sql) db.exec(statement);
    } finally {
      db.close();
    }
    return dir;
  }
  const cli = (dir: string) =>
    spawnSync(process.execPath, [...HUB_BIN, 'audit', 'verify'], {
      env: { ...process.env, HUB_DATA_DIR: dir, HUB_STORE: 'sqlite', MONGODB_URI: '', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  beforeAll(async () => {
    const hub = await startTestHub();
    await hub.member('alpha', 'CORE').publishes([{ value: 'one.sqlite-chain.example' }]);
    await hub.member('beta', 'CORE').publishes([{ value: 'two.sqlite-chain.example' }, { value: 'three.sqlite-chain.example' }]);
    await hub.member('gamma', 'CORE').publishes([{ value: 'four.sqlite-chain.example' }]);
    dataDir = hub.dataDir;
    await hub.dispose(); // signs the head on the way out
  }, 60_000);
  afterAll(() => {
    for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  });

  it('passes on the untouched file', () => {
    const run = cli(dataDir);
    expect(run.stdout, run.stderr).toMatch(/OK, the chain and every checkpoint hold/);
    expect(run.status).toBe(0);
  }, 60_000);

  it('fails naming the entry whose row was edited', () => {
    const run = cli(tamperedCopy([`UPDATE audit SET doc = json_set(doc, '$.summary', 'edited in the file') WHERE seq = 3`]));
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/FAILED at position 3, entry (\S+): entry \1 was altered/);
  }, 60_000);

  it('fails naming where a row was deleted', () => {
    const run = cli(tamperedCopy(['DELETE FROM audit WHERE seq = 4']));
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAILED at position 5, entry \S+: entries at positions 4\.\.4 are missing/);
  }, 60_000);

  it('fails naming the first of two rows whose positions were swapped', () => {
    const run = cli(
      tamperedCopy([
        `UPDATE audit SET seq = -5, doc = json_set(doc, '$.seq', -5) WHERE seq = 5`,
        `UPDATE audit SET seq = 5, doc = json_set(doc, '$.seq', 5) WHERE seq = 6`,
        `UPDATE audit SET seq = 6, doc = json_set(doc, '$.seq', 6) WHERE seq = -5`,
      ]),
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAILED at position 5, entry \S+: entry \S+ does not link to the entry before it/);
  }, 60_000);
});

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.log('audit chain: mongodb: SKIPPED (MONGODB_URI not set; ../shared/mongo-emulator/start runs one, see docs/mongodb.md)');
  describe.skip('audit chain on MongoDB (skipped: MONGODB_URI not set)', () => {
    it('verifies, and fails on entries edited, removed or reordered in MongoDB', () => {});
  });
} else {
  describe('audit chain on MongoDB, through `hub audit verify`', () => {
    const database = `hub_chain_${Date.now()}_${randomUUID().slice(0, 8)}`;
    const dbUri = withDatabase(uri, database);
    let m: TestHub;

    const cli = () =>
      spawnSync(process.execPath, [...HUB_BIN, 'audit', 'verify'], {
        env: { ...process.env, MONGODB_URI: dbUri, HUB_DATA_DIR: m.dataDir, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const raw = async () => {
      const { MongoClient } = await import('mongodb');
      const client = await MongoClient.connect(dbUri);
      return { client, audit: client.db(database).collection<AuditEntry>('auditLog') };
    };

    beforeAll(async () => {
      m = await startTestHub({ config: { mongodbUri: dbUri } });
      await m.member('alpha', 'CORE').publishes([{ value: 'one.mongo-chain.example' }]);
      await m.member('beta', 'CORE').publishes([{ value: 'two.mongo-chain.example' }, { value: 'three.mongo-chain.example' }]);
      await m.member('gamma', 'CORE').publishes([{ value: 'four.mongo-chain.example' }]);
      await m.hub.maintenance.checkpointAudit();
    }, 60_000);
    afterAll(async () => {
      await m?.dispose();
      const { client } = await raw();
      await client.db(database).dropDatabase();
      await client.close();
    });

    it('stays one line when two stores (two instances) append at once', async () => {
      const { createMongoStore } = await import('../src/store/mongo/mongo-store.js');
      const { client } = await raw();
      try {
        const [a, b] = [createMongoStore(client, client.db(database), { onClose: async () => {} }), createMongoStore(client, client.db(database), { onClose: async () => {} })];
        const entry = (n: number) => ({ _id: `audit--race-${n}`, at: new Date(), action: 'REVOKE' as const, actor: null, memberId: 'alpha', target: null, summary: `race ${n}`, details: {} });
        await Promise.all(Array.from({ length: 20 }, (_, n) => appendToChain((n % 2 ? a : b).audit, entry(n))));
        await m.hub.maintenance.checkpointAudit();
      } finally {
        await client.close();
      }
      const run = cli();
      expect(run.stdout, run.stderr).toMatch(/OK, the chain and every checkpoint hold/);
      expect(run.status).toBe(0);
    }, 60_000);

    it('fails naming the entry edited in MongoDB, then the one removed, then the two reordered', async () => {
      const { client, audit } = await raw();
      try {
        const three = (await audit.findOne({ seq: 3 }))!;
        await audit.updateOne({ _id: three._id }, { $set: { summary: 'edited in the database' } });
        let run = cli();
        expect(run.status, run.stdout + run.stderr).toBe(1);
        expect(run.stdout).toContain(`FAILED at position 3, entry ${three._id}: entry ${three._id} was altered`);
        await audit.updateOne({ _id: three._id }, { $set: { summary: three.summary } });
        expect(cli().status).toBe(0);

        const four = (await audit.findOne({ seq: 4 }))!;
        await audit.deleteOne({ _id: four._id });
        run = cli();
        expect(run.status).toBe(1);
        expect(run.stdout).toMatch(/FAILED at position 5, entry \S+: entries at positions 4\.\.4 are missing/);
        await audit.insertOne(four);
        expect(cli().status).toBe(0);

        const [five, six] = [(await audit.findOne({ seq: 5 }))!, (await audit.findOne({ seq: 6 }))!];
        await audit.updateOne({ _id: five._id }, { $set: { seq: -5 } });
        await audit.updateOne({ _id: six._id }, { $set: { seq: 5 } });
        await audit.updateOne({ _id: five._id }, { $set: { seq: 6 } });
        run = cli();
        expect(run.status).toBe(1);
        expect(run.stdout).toMatch(/FAILED at position 5, entry \S+: /);
      } finally {
        await client.close();
      }
    }, 120_000);
  });
}

/** The URI with its database path replaced. */
export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}

