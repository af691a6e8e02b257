/**
 * The one end-to-end fixture: a real hub on port 0, real JWTs, real HTTP and graphql-ws clients.
 * Every hub started here is disposed after the test file, even if a test forgot.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { pino, type Logger } from 'pino';
import { afterAll } from 'vitest';
import WebSocket from 'ws';
import { parseConfig, type HubConfig } from '../../src/config.js';
import type { IndicatorInput, Member, MemberKind, MemberTier, Role } from '../../src/domain/types.js';
import type { RequestObserver } from '../../src/edge/request-observer.js';
import { startHub, type Hub, type StartOptions } from '../../src/main.js';

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, any> }>; extensions?: Record<string, unknown> };
  /** The raw response text, for "no trace of X anywhere" assertions. */
  text: string;
}

export interface TestHub {
  hub: Hub;
  /** The hub's data directory (its signing key lives there). */
  dataDir: string;
  url: string;
  wsUrl: string;
  /**
   * A real token signed with the hub's key, for the person `test@<memberId>`, who is seeded
   * (through PeopleService.seed) with the roles asked, added to any it holds already.
   */
  token(memberId: string, roles?: Role[], ttlMs?: number): Promise<string>;
  /** A real token for the person `userId` of `memberId`, seeded first with the roles asked (as `token`). */
  tokenAs(memberId: string, userId: string, roles: Role[], ttlMs?: number): Promise<string>;
  /** Seeds a person (PeopleService.seed): created, or given the roles and identities it lacks. */
  person(memberId: string, userId: string, roles: Role[], identities?: Array<{ issuer: string; subject: string }>): Promise<void>;
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GqlResponse<T>>;
  /** An official graphql-ws client; disposed with the hub. */
  wsClient(token?: string, options?: Partial<Parameters<typeof createClient>[0]>): Client;
  /** Fluent seeding: `seed.member('isac', 'TRUSTED').publishes([...])`. */
  member(id: string, tier: MemberTier, extra?: Partial<Member>): SeededMember;
  dispose(): Promise<void>;
}

export interface SeededMember {
  id: string;
  token(roles?: Role[]): Promise<string>;
  /** Publishes through the real mutation; returns the per-item results. */
  publishes(items: Array<Partial<IndicatorInput> & { value: string }>): Promise<any[]>;
}

const running = new Set<TestHub>();
afterAll(async () => {
  await Promise.all([...running].map((h) => h.dispose()));
});

const PUBLISH = /* GraphQL */ `
  mutation Publish($input: PublishIndicatorsInput!) {
    publishIndicators(input: $input) {
      results { index status indicator { id value type tlp } error { code message field } }
    }
  }`;

export async function startTestHub(
  options: { demo?: boolean; config?: Partial<HubConfig>; logger?: Logger; observer?: RequestObserver; start?: StartOptions } = {},
): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hub-test-'));
  const config = parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { demo: options.demo ?? false, ...options.config });
  const hub = await startHub(config, {
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.observer ? { observer: options.observer } : {}),
    ...options.start,
  });
  const clients = new Set<Client>();
  let keyCounter = 0;

  const t: TestHub = {
    hub,
    dataDir,
    url: hub.url,
    wsUrl: hub.wsUrl,
    token: (memberId, roles = ['reader'], ttlMs = 3_600_000) => t.tokenAs(memberId, `test@${memberId}`, roles, ttlMs),
    async tokenAs(memberId, userId, roles, ttlMs = 3_600_000) {
      await t.person(memberId, userId, roles);
      return hub.tokens.issue({ memberId, userId, roles, ttlMs });
    },
    async person(memberId, userId, roles, identities) {
      await hub.services.people.seed({ id: userId, memberId, roles, ...(identities ? { identities } : {}) });
    },
    async gql(query, variables, opts = {}) {
      const res = await fetch(hub.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...opts.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
    },
    wsClient(token, extra = {}) {
      const client = createClient({
        url: hub.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        ...extra,
      });
      clients.add(client);
      return client;
    },
    member(id, tier, extra = {}) {
      const member: Member = {
        _id: id,
        name: `${id} organisation`,
        kind: (extra.kind ?? 'ENTERPRISE') as MemberKind,
        tier,
        sector: 'testing',
        country: 'NL',
        allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'],
        status: 'ACTIVE',
        createdAt: new Date(),
        ...extra,
      };
      const registered = hub.services.members.register(member);
      return {
        id,
        token: async (roles = ['reader', 'publisher']) => {
          await registered;
          return t.token(id, roles);
        },
        async publishes(items) {
          await registered;
          const token = await t.token(id, ['publisher', 'reader']);
          const indicators = items.map((i) => ({ tlp: 'CLEAR', severity: 'MEDIUM', confidence: 50, ...i }));
          const res = await t.gql(PUBLISH, { input: { idempotencyKey: `seed-${id}-${++keyCounter}`, indicators } }, { token });
          if (res.body.errors) throw new Error(`seed publish failed: ${JSON.stringify(res.body.errors)}`);
          return res.body.data.publishIndicators.results;
        },
      };
    },
    async dispose() {
      running.delete(t);
      for (const c of clients) await c.dispose();
      await hub.dispose();
    },
  };
  running.add(t);
  return t;
}
