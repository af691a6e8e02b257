/**
 * The audit log end to end: which actions it records, who reads which entries, that entries
 * never carry record content, that tokens issued by the CLI reach it through audit-cli.jsonl,
 * and that the log cannot be changed through its port.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { ROLES, type Role } from '../src/domain/types.js';
import { startHub } from '../src/main.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { startTestHub, type GqlResponse, type TestHub } from './support/hub-fixture.js';
import { HUB_BIN } from './support/hub-bin.js';

const AUDIT = `query($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id seq at action actor { memberId userId } memberId target { kind id } summary details } }
  }
}`;
const PUBLISH = `mutation($input: PublishIndicatorsInput!) { publishIndicators(input: $input) { replayed results { status indicator { id } } } }`;
const REVOKE = `mutation($id: ID!, $reason: String!) { revokeIndicator(id: $id, reason: $reason) { id revoked } }`;
const PUBLISH_NOTICE = `mutation($input: ModelRiskNoticeInput!) { publishModelRiskNotice(input: $input) { id } }`;
const UPDATE_NOTICE = `mutation($id: ID!, $input: ModelRiskNoticeUpdate!) { updateModelRiskNotice(id: $id, input: $input) { id } }`;
const STATUS = `mutation($id: ID!, $status: NoticeStatus!) { changeModelRiskNoticeStatus(id: $id, status: $status) { id } }`;
const LOWER = `mutation($recordId: ID!, $tlp: TLP!, $reason: String!) { requestTlpChange(recordId: $recordId, tlp: $tlp, reason: $reason) { id } }`;
const TIER = `mutation($memberId: ID!, $tier: Tier!, $reason: String!) { requestTierChange(memberId: $memberId, tier: $tier, reason: $reason) { id } }`;
const APPROVE = `mutation($id: ID!, $reason: String) { approveRequest(id: $id, reason: $reason) { id status } }`;
const REJECT = `mutation($id: ID!, $reason: String!) { rejectRequest(id: $id, reason: $reason) { id status } }`;

type Entry = { id: string; seq: number; at: string; action: string; actor: { memberId: string; userId: string } | null; memberId: string | null; target: { kind: string; id: string } | null; summary: string; details: any };

let t: TestHub;
const tok = {} as Record<'pub' | 'approver' | 'alphaAdmin' | 'betaAdmin' | 'betaPub' | 'admin1' | 'admin2' | 'reader' | 'approverOnly', string>;
let keys = 0;

const person = (hub: TestHub, memberId: string, userId: string, roles: Role[]) => hub.tokenAs(memberId, userId, roles, 3_600_000);

function data(res: GqlResponse) {
  expect(res.body.errors, res.text).toBeUndefined();
  return res.body.data;
}

async function log(token: string, filter: Record<string, unknown> = {}, hub = t): Promise<Entry[]> {
  const res = await hub.gql(AUDIT, { filter, first: 500 }, { token });
  return data(res).auditLog.edges.map((e: any) => e.node);
}

async function publishIndicators(items: Array<Record<string, unknown>>, token = tok.pub, key = `audit-${++keys}`) {
  const input = { idempotencyKey: key, indicators: items.map((i) => ({ tlp: 'AMBER', severity: 'HIGH', confidence: 70, ...i })) };
  return data(await t.gql(PUBLISH, { input }, { token })).publishIndicators;
}

async function publishNotice(overrides: Record<string, unknown> = {}, token = tok.pub) {
  const input = { title: 'Audit notice', summary: 'S', model: { name: 'Audit-Model', developer: 'Audit Lab' }, category: 'JAILBREAK', severity: 'HIGH', tlp: 'AMBER', status: 'DRAFT', ...overrides };
  return data(await t.gql(PUBLISH_NOTICE, { input }, { token })).publishModelRiskNotice.id as string;
}

const about = (entries: Entry[], id: string) => entries.filter((e) => e.target?.id === id || JSON.stringify(e.details).includes(id));

beforeAll(async () => {
  t = await startTestHub();
  await t.member('alpha', 'CORE', { allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'] }).token();
  await t.member('beta', 'TRUSTED').token();
  await t.member('ops', 'CORE', { allowedRoles: [...ROLES] }).token();
  tok.pub = await person(t, 'alpha', 'pub@alpha', ['reader', 'publisher']);
  tok.approver = await person(t, 'alpha', 'ann@alpha', ['reader', 'approver']);
  tok.alphaAdmin = await person(t, 'alpha', 'adm@alpha', ['reader', 'member-admin']);
  tok.betaAdmin = await person(t, 'beta', 'adm@beta', ['reader', 'member-admin']);
  tok.betaPub = await person(t, 'beta', 'pub@beta', ['reader', 'publisher']);
  tok.admin1 = await person(t, 'ops', 'admin1@ops', ['reader', 'hub-admin']);
  tok.admin2 = await person(t, 'ops', 'admin2@ops', ['reader', 'hub-admin']);
  tok.reader = await person(t, 'alpha', 'rdr@alpha', ['reader', 'publisher']);
  tok.approverOnly = await person(t, 'alpha', 'apr@alpha', ['reader', 'approver']);
});

describe('what the log records', () => {
  it('records a publish batch, a revocation, a notice publish, update and status change, under the publishing member', async () => {
    const { results } = await publishIndicators([{ value: 'one.audit.example' }, { value: 'two.audit.example' }, { value: 'not a value at all' }]);
    const [one, two] = results.map((r: any) => r.indicator?.id);
    data(await t.gql(REVOKE, { id: one, reason: 'false positive' }, { token: tok.pub }));
    const notice = await publishNotice();
    data(await t.gql(UPDATE_NOTICE, { id: notice, input: { title: 'Retitled', severity: 'CRITICAL' } }, { token: tok.pub }));
    data(await t.gql(STATUS, { id: notice, status: 'PUBLISHED' }, { token: tok.pub }));

    const entries = await log(tok.admin1, { memberId: 'alpha' });
    const publish = about(entries, two).find((e) => e.action === 'PUBLISH')!;
    expect(publish).toMatchObject({ actor: { memberId: 'alpha', userId: 'pub@alpha' }, memberId: 'alpha', target: null });
    expect(publish.details).toEqual({ created: [one, two], updated: [], rejected: [{ index: 2, code: expect.any(String) }] });
    expect(about(entries, one).find((e) => e.action === 'REVOKE')).toMatchObject({ target: { kind: 'INDICATOR', id: one }, memberId: 'alpha' });
    const forNotice = about(entries, notice).map((e) => e.action);
    expect(forNotice).toEqual(['STATUS_CHANGE', 'UPDATE', 'PUBLISH']);
    expect(about(entries, notice)[1]!.details).toEqual({ fields: ['title', 'severity'] });
    expect(about(entries, notice)[0]!.details).toEqual({ from: 'DRAFT', to: 'PUBLISHED' });
  });

  it('adds no entry when a publish is replayed with the same idempotency key', async () => {
    await publishIndicators([{ value: 'replay.audit.example' }], tok.pub, 'audit-replay');
    const before = (await log(tok.admin1, { action: ['PUBLISH'] })).length;
    expect((await publishIndicators([{ value: 'replay.audit.example' }], tok.pub, 'audit-replay')).replayed).toBe(true);
    expect((await log(tok.admin1, { action: ['PUBLISH'] })).length).toBe(before);
  });

  it('records a request, its approval and the change it applied, and a rejection, under the record owner', async () => {
    const notice = await publishNotice({ status: 'PUBLISHED', tlp: 'AMBER' });
    const approved = data(await t.gql(LOWER, { recordId: notice, tlp: 'GREEN', reason: 'r' }, { token: tok.pub })).requestTlpChange.id;
    data(await t.gql(APPROVE, { id: approved }, { token: tok.approver }));
    const rejected = data(await t.gql(LOWER, { recordId: notice, tlp: 'CLEAR', reason: 'r' }, { token: tok.pub })).requestTlpChange.id;
    data(await t.gql(REJECT, { id: rejected, reason: 'no' }, { token: tok.admin1 }));

    const entries = await log(tok.alphaAdmin);
    const ofApproved = about(entries, approved);
    expect(ofApproved.map((e) => e.action)).toEqual(['UPDATE', 'APPROVE', 'REQUEST']);
    expect(ofApproved[2]).toMatchObject({ actor: { userId: 'pub@alpha' }, memberId: 'alpha', target: { kind: 'APPROVAL_REQUEST', id: approved }, details: { kind: 'LOWER_TLP', tlp: { from: 'AMBER', to: 'GREEN' } } });
    expect(ofApproved[1]).toMatchObject({ actor: { userId: 'ann@alpha' }, memberId: 'alpha' });
    expect(ofApproved[0]).toMatchObject({ actor: { userId: 'ann@alpha' }, target: { kind: 'MODEL_RISK_NOTICE', id: notice }, details: { requestId: approved, tlp: { from: 'AMBER', to: 'GREEN' } } });
    const ofRejected = about(entries, rejected);
    expect(ofRejected.map((e) => e.action)).toEqual(['REJECT', 'REQUEST']);
    expect(ofRejected[0]).toMatchObject({ actor: { memberId: 'ops', userId: 'admin1@ops' }, memberId: 'alpha', details: { withdrawn: false } });
  });

  it('records a tier change under the member, and its request and approval as hub-level entries', async () => {
    await t.member('climber', 'COMMUNITY').token();
    const climberAdmin = await person(t, 'climber', 'adm@climber', ['reader', 'member-admin']);
    const id = data(await t.gql(TIER, { memberId: 'climber', tier: 'TRUSTED', reason: 'vetted' }, { token: tok.admin1 })).requestTierChange.id;
    data(await t.gql(APPROVE, { id }, { token: tok.admin2 }));

    const all = about(await log(tok.admin1), id);
    expect(all.map((e) => [e.action, e.memberId])).toEqual([['TIER_CHANGE', 'climber'], ['APPROVE', null], ['REQUEST', null]]);
    expect(all[0]).toMatchObject({ actor: { userId: 'admin2@ops' }, target: { kind: 'MEMBER', id: 'climber' }, details: { tier: { from: 'COMMUNITY', to: 'TRUSTED' } } });
    const seenByClimber = await log(climberAdmin);
    expect(seenByClimber.map((e) => e.action)).toContain('TIER_CHANGE');
    expect(seenByClimber.filter((e) => e.action === 'REQUEST' || e.action === 'APPROVE')).toEqual([]);
  });

  it('records a refused token as LOGIN_FAILED, without the token', async () => {
    const bad = `${(await person(t, 'alpha', 'x', ['reader'])).slice(0, -4)}AAAA`;
    const res = await t.gql('{ viewer { tier } }', {}, { token: bad });
    expect(res.status).toBe(401);
    const failed = await log(tok.admin1, { action: ['LOGIN_FAILED'] });
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toMatchObject({ action: 'LOGIN_FAILED', actor: null, details: { reason: expect.stringMatching(/signature/) } });
    const text = (await t.gql(AUDIT, { filter: { action: ['LOGIN_FAILED'] }, first: 500 }, { token: tok.admin1 })).text;
    expect(text).not.toContain(bad.split('.')[2]);
  });

  it('records every token the hub issues, without the token itself', async () => {
    const token = await person(t, 'beta', 'fresh@beta', ['reader']);
    const { jti } = decodeJwt(token);
    const [entry] = (await log(tok.admin1, { action: ['TOKEN_ISSUED'] })).filter((e) => e.target?.id === jti);
    expect(entry).toMatchObject({ memberId: 'beta', actor: null, target: { kind: 'TOKEN', id: jti }, details: { userId: 'fresh@beta', roles: ['reader'], via: 'hub' } });
    const text = (await t.gql(AUDIT, { first: 500 }, { token: tok.admin1 })).text;
    expect(text).not.toContain(token.split('.')[2]);
  });
});

describe('tokens issued by the CLI', () => {
  /** `token --as <person>` on the hub's data directory: the CLI opens the same store and audits there. */
  const cli = (dataDir: string, personId: string) => {
    const out = spawnSync(process.execPath, [...HUB_BIN, 'token', '--as', personId, '--roles', 'reader'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HUB_DATA_DIR: dataDir },
      timeout: 30_000,
    });
    expect(out.status, out.stderr).toBe(0);
    return decodeJwt(out.stdout.trim()).jti!;
  };
  const cliEntries = async (hub: TestHub, token: string) =>
    (await log(token, { action: ['TOKEN_ISSUED'] }, hub)).filter((e) => e.details.via === 'cli');

  it('are written by the CLI into the store the hub serves, each token once', async () => {
    await t.hub.services.people.seed({ id: 'ops-cli@beta', memberId: 'beta', roles: ['reader'] });
    const jti = cli(t.dataDir, 'ops-cli@beta');
    const first = await cliEntries(t, tok.admin1);
    expect(first.filter((e) => e.target?.id === jti)).toEqual([
      expect.objectContaining({ memberId: 'beta', actor: null, details: expect.objectContaining({ userId: 'ops-cli@beta', roles: ['reader'], via: 'cli' }) }),
    ]);
    expect((await cliEntries(t, tok.admin1)).filter((e) => e.target?.id === jti)).toHaveLength(1);
    expect((await cliEntries(t, tok.betaAdmin)).map((e) => e.target?.id)).toContain(jti);
    expect((await cliEntries(t, tok.alphaAdmin)).map((e) => e.target?.id)).not.toContain(jti);
  });

  it('from audit-cli.jsonl (written by CLIs before they opened the store): waits for a line still being written, and skips a malformed one', async () => {
    const file = join(t.dataDir, 'audit-cli.jsonl');
    const jti = randomUUID();
    const line = JSON.stringify({ v: 1, action: 'TOKEN_ISSUED', at: new Date().toISOString(), memberId: 'beta', userId: 'half@beta', roles: ['reader'], jti, expiresAt: new Date(Date.now() + 60_000).toISOString() });
    appendFileSync(file, 'not json at all\n');
    appendFileSync(file, line.slice(0, 40));
    expect((await cliEntries(t, tok.admin1)).map((e) => e.target?.id)).not.toContain(jti);
    appendFileSync(file, `${line.slice(40)}\n`);
    expect((await cliEntries(t, tok.admin1)).filter((e) => e.target?.id === jti)).toHaveLength(1);
  });

  it('stay in the log of a hub started after the CLI issued them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-audit-'));
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    let hub = await startHub(config, { logger: pino({ level: 'silent' }) });
    await hub.services.members.register({ _id: 'gamma', name: 'Gamma', kind: 'ENTERPRISE', tier: 'TRUSTED', sector: 'testing', country: 'NL', allowedRoles: ['reader'], status: 'ACTIVE', createdAt: new Date() });
    await hub.services.people.seed({ id: 'ops-cli@gamma', memberId: 'gamma', roles: ['reader'] });
    await hub.dispose();
    const jti = cli(dataDir, 'ops-cli@gamma');
    hub = await startHub(config, { logger: pino({ level: 'silent' }) });
    try {
      const all = await hub.services.audit.list({ kind: 'member', memberId: 'root', userId: 'root', roles: ['hub-admin'], tier: 'CORE' }, { filter: { action: ['TOKEN_ISSUED'] } });
      expect(all.edges.map((e) => e.node.target?.id)).toContain(jti);
    } finally {
      await hub.dispose();
    }
  });
});

describe('who reads the log', () => {
  it("shows a member-admin only its own member's entries, and an empty page for another member's id", async () => {
    await publishIndicators([{ value: 'beta-own.audit.example' }], tok.betaPub);
    const alpha = await log(tok.alphaAdmin);
    expect(alpha.length).toBeGreaterThan(0);
    expect(new Set(alpha.map((e) => e.memberId))).toEqual(new Set(['alpha']));
    const res = await t.gql(AUDIT, { filter: { memberId: 'beta' } }, { token: tok.alphaAdmin });
    expect(data(res).auditLog).toMatchObject({ totalCount: 0, edges: [] });
    expect((await log(tok.betaAdmin)).every((e) => e.memberId === 'beta')).toBe(true);
  });

  it('shows a hub-admin every entry, hub-level ones included, filtered by member, action and time, page by page', async () => {
    const all = await log(tok.admin1);
    expect(all.some((e) => e.memberId === null)).toBe(true);
    expect(all.some((e) => e.memberId === 'alpha') && all.some((e) => e.memberId === 'beta')).toBe(true);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));

    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await publishIndicators([{ value: 'late.audit.example' }]);
    const late = await log(tok.admin1, { since, action: ['PUBLISH'] });
    expect(late).toHaveLength(1);
    expect(late[0]!.memberId).toBe('alpha');
    expect((await log(tok.admin1, { until: since })).map((e) => e.id)).not.toContain(late[0]!.id);

    const paged: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 200; i++) {
      const res: GqlResponse = await t.gql(AUDIT, { filter: { memberId: 'alpha' }, first: 3, after }, { token: tok.admin1 });
      const conn: any = data(res).auditLog;
      paged.push(...conn.edges.map((e: any) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(paged).toEqual((await log(tok.admin1, { memberId: 'alpha' })).map((e) => e.id));
  });

  it.each([
    ['a reader and publisher', 'reader'],
    ['an approver', 'approverOnly'],
  ] as const)('refuses %s with FORBIDDEN', async (_who, key) => {
    const res = await t.gql(AUDIT, {}, { token: tok[key] });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.body.data ?? null).toBeNull();
  });

  it('refuses a caller without a token with UNAUTHENTICATED', async () => {
    const res = await t.gql(AUDIT, {});
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('what the log never holds', () => {
  it('never copies an indicator value or description, a notice text or a reason into any entry', async () => {
    const marker = `SECRET-MARKER-${randomUUID()}`;
    const host = `${marker.toLowerCase()}.audit.example`;
    const { results } = await publishIndicators([{ value: host, description: marker, tags: ['marker'] }]);
    const id = results[0].indicator.id;
    data(await t.gql(REVOKE, { id, reason: marker }, { token: tok.pub }));
    const notice = await publishNotice({ title: marker, summary: marker, technicalDetails: marker, mitigations: marker, status: 'PUBLISHED', tlp: 'AMBER' });
    data(await t.gql(UPDATE_NOTICE, { id: notice, input: { technicalDetails: `${marker} v2`, evaluationEvidence: marker } }, { token: tok.pub }));
    const req = data(await t.gql(LOWER, { recordId: notice, tlp: 'GREEN', reason: marker }, { token: tok.pub })).requestTlpChange.id;
    data(await t.gql(REJECT, { id: req, reason: marker }, { token: tok.approver }));
    const req2 = data(await t.gql(LOWER, { recordId: notice, tlp: 'GREEN', reason: marker }, { token: tok.pub })).requestTlpChange.id;
    data(await t.gql(APPROVE, { id: req2, reason: marker }, { token: tok.approver }));

    // The control: the marker really is in the hub's data, and the entries about it are in the log.
    const control = await t.gql(`query($id: ID!) { indicator(id: $id) { value description } }`, { id }, { token: tok.pub });
    expect(control.text).toContain(marker.toLowerCase());
    expect(control.text).toContain(marker);
    for (const token of [tok.admin1, tok.alphaAdmin]) {
      const res = await t.gql(AUDIT, { first: 500 }, { token });
      expect(about(res.body.data.auditLog.edges.map((e: any) => e.node), notice).length).toBeGreaterThanOrEqual(6);
      expect(res.text).not.toContain(marker);
      expect(res.text.toLowerCase()).not.toContain(marker.toLowerCase());
    }
  });

  it('has no way to change or remove an entry: the port offers append, find, count, the count of a refused-login aggregate and checkpoints only, and hands out frozen entries', async () => {
    const audit = createMemoryStore().audit;
    const methods = new Set<string>();
    for (let o: object | null = audit; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) {
        if (name !== 'constructor' && typeof (audit as any)[name] === 'function') methods.add(name);
      }
    }
    expect([...methods].sort()).toEqual(['addCheckpoint', 'append', 'checkpoints', 'count', 'find', 'incrementCount']);
    expect(Object.keys(audit)).toEqual([]);

    await audit.append({ _id: 'audit--x', seq: 1, at: new Date(), action: 'REVOKE', actor: null, memberId: 'm', target: null, summary: 's', details: { a: [1] } });
    const [entry] = await audit.find({});
    expect(() => { (entry as any).summary = 'changed'; }).toThrow(TypeError);
    expect(() => { (entry as any).details.a.push(2); }).toThrow(TypeError);
    await expect(audit.append({ ...entry!, summary: 'replaced' })).rejects.toThrow(/duplicate/);
    expect((await audit.find({}))[0]!.summary).toBe('s');
  });
});
