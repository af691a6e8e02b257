/**
 * The non-interference harness: a hub whose clock and ids the test controls, a transcript of
 * everything one viewer observed, and the scripted slots a workload runs in. Two runs of the same
 * workload, one with writes the viewer may not see and one without, must leave byte-identical
 * transcripts (see test/non-interference.test.ts and docs/visibility.md).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll } from 'vitest';
import { loadSecrets } from '../../src/auth/key-store.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { parseConfig } from '../../src/config.js';
import type { Member, MemberTier, Role } from '../../src/domain/types.js';
import { startHub, type Hub } from '../../src/main.js';

/** The instant slot 0 runs at; each slot is one second later than the one before. */
export const T0 = Date.UTC(2026, 10, 26, 9, 30);
export const SLOT_MS = 1_000;
export const slotTime = (slot: number): number => T0 + slot * SLOT_MS;

/**
 * The n-th UUID made at instant t: ids depend on when a record is written and in which order
 * within that instant, never on how many records were written before. So a record the workload
 * writes in both runs gets the same id in both, and the id a hidden write *would* get is known
 * to the script in the run where it never happens (an absent id to compare with a hidden one).
 */
export function uuidAt(t: number, n: number): string {
  const h = createHash('sha256').update(`${t}:${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const running = new Set<RunHub>();
afterAll(async () => {
  await Promise.all([...running].map((h) => h.dispose()));
});

export interface Observed {
  status: number;
  /** The parsed body, for the script to follow cursors and `next`. */
  body: any;
  headers: Headers;
}

/** One hub for one run: a controlled clock, deterministic ids, real HTTP, real EdDSA tokens. */
export class RunHub {
  private now = T0;
  private lastT = NaN;
  private n = 0;
  /** Everything the viewer observed, in order, normalised (see `normalise`). */
  readonly transcript: string[] = [];
  private readonly placeholders = new Map<string, string>();
  private issuer!: TokenIssuer;
  hub!: Hub;
  private origin = '';

  static async start(): Promise<RunHub> {
    const run = new RunHub();
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-ni-'));
    const config = parseConfig({ PORT: '0', HUB_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { demo: false, anonymousReads: true, rateLimitPerMinute: 0 });
    run.hub = await startHub(config, {
      logger: pino({ level: 'silent' }),
      clock: () => run.now,
      randomUUID: () => {
        if (run.now !== run.lastT) [run.lastT, run.n] = [run.now, 0];
        return uuidAt(run.now, run.n++);
      },
    });
    run.origin = run.hub.url.replace(/\/graphql$/, '');
    // Tokens signed with the hub's own key, but not through hub.tokens: its audit entries carry a
    // random jti and the real time, which would differ between two runs for reasons of the test's own.
    run.issuer = new TokenIssuer({ secrets: await loadSecrets(dataDir), issuer: config.issuer, audience: config.audience, maxLifetimeMs: config.tokenMaxLifetimeMs });
    running.add(run);
    return run;
  }

  /** Moves the clock to a slot's instant. */
  at(slot: number): void {
    this.now = slotTime(slot);
  }

  /** Moves the clock to any instant (within a slot, for a write that must land on a chosen millisecond). */
  atInstant(t: number): void {
    this.now = t;
  }

  async register(id: string, tier: MemberTier): Promise<void> {
    const member: Member = {
      _id: id,
      name: `${id} organisation`,
      kind: 'ENTERPRISE',
      tier,
      sector: 'testing',
      country: 'NL',
      allowedRoles: ['reader', 'publisher', 'approver', 'member-admin'],
      status: 'ACTIVE',
      createdAt: new Date(T0),
    };
    await this.hub.services.members.register(member);
  }

  /** A token for the person `userId` of `memberId`, seeded first with these roles (both runs seed alike). */
  async token(memberId: string, roles: Role[], userId = `user@${memberId}`): Promise<string> {
    await this.hub.services.people.seed({ id: userId, memberId, roles });
    return this.issuer.issue({ memberId, userId, roles, ttlMs: 3_600_000 });
  }

  /** A GraphQL request; recorded in the transcript when `label` is given. */
  async gql(label: string | null, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Observed> {
    const res = await fetch(this.hub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    if (label !== null) this.record(label, res.status, [res.headers.get('content-type')], text);
    return { status: res.status, body: JSON.parse(text), headers: res.headers };
  }

  /** A GraphQL write that must succeed; not recorded (what a write answers is observed through reads). */
  async write(query: string, variables: Record<string, unknown>, token: string): Promise<any> {
    const res = await this.gql(null, query, variables, token);
    if (res.body.errors) throw new Error(`workload write failed: ${JSON.stringify(res.body.errors)}`);
    return res.body.data;
  }

  /** A TAXII request, recorded with its status, content type and date_added headers. */
  async taxii(label: string, path: string, token?: string): Promise<Observed> {
    const res = await fetch(`${this.origin}${path}`, {
      headers: { accept: 'application/taxii+json;version=2.1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const text = await res.text();
    const headers = ['content-type', 'x-taxii-date-added-first', 'x-taxii-date-added-last', 'www-authenticate'].map((h) => res.headers.get(h));
    this.record(label, res.status, headers, text);
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  private record(label: string, status: number, headers: Array<string | null>, text: string): void {
    this.transcript.push(`${label} ${status} ${JSON.stringify(headers)}\n${this.normalise(text)}`);
  }

  /**
   * The response text with what is random by design replaced, consistently within the run, by
   * placeholders in order of first appearance: sealed cursors and TAXII `next` tokens (random
   * IVs; the placeholder keeps their length, which is observable) and bundle ids (random UUIDs).
   * Everything else is compared as sent.
   */
  private normalise(text: string): string {
    if (!text) return text;
    const body = JSON.parse(text, (key, value: unknown) => {
      if (typeof value !== 'string') return value;
      if (key === 'cursor' || key === 'startCursor' || key === 'endCursor' || key === 'next') return this.placeholder('cursor', value, true);
      if (/^bundle--[0-9a-f-]{36}$/.test(value)) return this.placeholder('bundle', value, false);
      return value;
    });
    return JSON.stringify(body);
  }

  private placeholder(kind: string, value: string, keepLength: boolean): string {
    let p = this.placeholders.get(value);
    if (!p) this.placeholders.set(value, (p = `<${kind}#${this.placeholders.size}${keepLength ? `:${value.length}` : ''}>`));
    return p;
  }

  async dispose(): Promise<void> {
    running.delete(this);
    await this.hub.dispose();
  }
}

/** The first line where two transcripts differ, with both versions, for a readable failure. */
export function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `observation ${i}:\n  alone:       ${a[i]?.slice(0, 2_000)}\n  interleaved: ${b[i]?.slice(0, 2_000)}`;
  }
  return null;
}
