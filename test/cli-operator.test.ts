/**
 * The operator's CLI against a real hub process on the same store (no demo data): what a command
 * changes, the running hub applies at its next request; every command acts as a person, through
 * the same policy as the API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HUB_BIN } from './support/hub-bin.js';

const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-operator-'));
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
const cli = (...args: string[]) => spawnSync(process.execPath, [...HUB_BIN, ...args], { encoding: 'utf8', env, timeout: 30_000 });
const ok = (...args: string[]) => {
  const out = cli(...args);
  expect(out.status, `${args.join(' ')}: ${out.stderr}`).toBe(0);
  return out.stdout.trim();
};

let hub: ChildProcess;
let url: string;

type Answer = { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions: { code: string } }> };

/**
 * One POST on a connection of its own: the CLI's spawnSync blocks this process for seconds, long
 * enough for the hub to close an idle keep-alive socket that fetch would reuse.
 */
function gql(token: string, query: string): Promise<{ status: number; body: Answer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

beforeAll(async () => {
  ok('init', '--member-id', 'ops', '--name', 'Ops', '--kind', 'AGENCY', '--sector', 'government', '--country', 'NL', '--admin', 'alice', '--admin', 'bob');
  // Heartbeats every second: a subscription is live once the first one arrives.
  hub = spawn(process.execPath, [...HUB_BIN, 'serve', '--port', '0'], { env: { ...env, HUB_ALERT_HEARTBEAT: '1s' }, stdio: ['ignore', 'ignore', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    hub.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    hub.on('exit', (code) => reject(new Error(`hub exited ${code}: ${err}`)));
  });
}, 60_000);
afterAll(() => {
  hub?.kill('SIGTERM');
});

describe('the operator CLI on a running hub', () => {
  it('init refuses a store that is not empty', () => {
    const again = cli('init', '--member-id', 'ops2', '--name', 'Ops', '--kind', 'AGENCY', '--sector', 'g', '--country', 'NL', '--admin', 'carol', '--admin', 'dave');
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^hub: INVALID_TRANSITION: the store is not empty/);
  }, 120_000);

  it('gives init two hub-admins the running hub knows, and audits the initialisation', async () => {
    const token = ok('token', '--as', 'alice');
    const { body } = await gql(token, '{ viewer { userId roles member { id tier } } auditLog(first: 20) { edges { node { action } } } }');
    expect(body.data!.viewer).toMatchObject({ userId: 'alice', member: { id: 'ops', tier: 'CORE' } });
    expect((body.data!.viewer as { roles: string[] }).roles).toContain('hub-admin');
    const actions = (body.data!.auditLog as { edges: Array<{ node: { action: string } }> }).edges.map((e) => e.node.action);
    expect(actions).toEqual(expect.arrayContaining(['MEMBER_REGISTERED', 'PERSON_ADDED']));
  }, 120_000);

  it('refuses --as for a person the hub does not know, and a token for an unknown member or person', () => {
    const unknownAs = cli('member', 'list', '--as', 'mallory');
    expect(unknownAs.status).toBe(1);
    expect(unknownAs.stderr).toMatch(/^hub: NOT_FOUND: --as: no person "mallory"/);
    const noMember = cli('token', '--member', 'nobody');
    expect(noMember.status).toBe(1);
    expect(noMember.stderr).toContain('NOT_FOUND');
    const noPerson = cli('token', '--as', 'nobody');
    expect(noPerson.status).toBe(1);
    expect(noMember.stdout + noPerson.stdout).toBe('');
  }, 120_000);

  it('keeps the two-person rule: the requester cannot approve, another hub-admin can', async () => {
    const request = ok('member', 'add', '--as', 'alice', '--id', 'acme', '--name', 'Acme', '--kind', 'ENTERPRISE', '--sector', 'finance', '--country', 'DE', '--roles', 'reader,publisher,member-admin');
    expect(request).toMatch(/^approval--/);
    const self = cli('approval', 'approve', request, '--as', 'alice');
    expect(self.status).toBe(1);
    expect(self.stderr).toContain('FORBIDDEN');
    ok('approval', 'approve', request, '--as', 'bob');
    const { body } = await gql(ok('token', '--as', 'bob'), '{ members { id } }');
    expect((body.data!.members as Array<{ id: string }>).map((m) => m.id)).toContain('acme');
  }, 120_000);

  it("suspends a member from the CLI: the running hub closes its open subscription and refuses its next request", async () => {
    ok('person', 'add', '--as', 'alice', '--member', 'acme', '--id', 'dana', '--name', 'Dana', '--email', 'dana@acme.example', '--roles', 'reader');
    const token = ok('token', '--as', 'dana');
    expect((await gql(token, '{ viewer { userId } }')).body.data!.viewer).toEqual({ userId: 'dana' });
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    const live = new Promise<void>((resolve, reject) => {
      client.subscribe({ query: 'subscription { alerts(heartbeats: true) { type } }' }, { next: () => resolve(), error: reject, complete: () => {} });
    });
    await live;
    ok('member', 'suspend', '--as', 'alice', '--member', 'acme', '--reason', 'incident');
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 15_000))])).toBe(4401);
    const after = await gql(token, '{ viewer { userId } }');
    expect(after.status).toBe(401);
    expect(after.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    await client.dispose();
  }, 60_000);

  it('offboards a member from the CLI: its people are removed, and it says so', async () => {
    expect(ok('member', 'offboard', '--as', 'alice', '--member', 'acme', '--reason', 'left the federation')).toMatch(/^acme {2}OFFBOARDED .*removed people: 1\)$/);
    const { body } = await gql(ok('token', '--as', 'bob'), '{ people(memberId: "acme") { id status } }');
    expect(body.data!.people).toEqual([{ id: 'dana', status: 'REMOVED' }]);
  }, 60_000);
});
