/**
 * Directive overloading and the response budget (docs/limits.md, "Lists and cost"), over HTTP and
 * graphql-ws against the real hub: one error for an overloaded document, caps on every list a
 * member writes, and refusal, before anything runs, of a query whose answer could exceed the budget.
 */
import type { Client } from 'graphql-ws';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

interface Answer {
  /** HTTP status; 0 over WebSocket. */
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  text: string;
}

function overWs(client: Client, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    client.subscribe(
      { query, variables },
      {
        next: (result) => void (answer = { status: 0, data: result.data ?? undefined, errors: result.errors as Answer['errors'], text: JSON.stringify(result) }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err, text: JSON.stringify(err) }) : reject(err)),
        complete: () => (answer ? resolve(answer) : reject(new Error('completed without a result'))),
      },
    );
  });
}

/** A caller on one transport; over graphql-ws one socket per token. */
function caller(t: TestHub, transport: 'http' | 'ws') {
  const sockets = new Map<string, Client>();
  return async (query: string, variables?: Record<string, unknown>, token?: string): Promise<Answer> => {
    if (transport === 'http') {
      const res = await t.gql(query, variables, { token });
      return { status: res.status, data: res.body.data ?? undefined, errors: res.body.errors, text: res.text };
    }
    const key = token ?? 'anonymous';
    if (!sockets.has(key)) sockets.set(key, t.wsClient(token, { lazy: false }));
    return overWs(sockets.get(key)!, query, variables);
  };
}

const codes = (answer: Answer) => (answer.errors ?? []).map((e) => e.extensions?.code);

describe.each(['http', 'ws'] as const)('directive overloading over %s', (transport) => {
  let ask: ReturnType<typeof caller>;
  let token: string;
  beforeAll(async () => {
    const t = await startTestHub();
    token = await t.member('dir-member', 'TRUSTED').token(['reader']);
    ask = caller(t, transport);
  });

  it("answers graphql-cop's ten copies of one unknown directive on one field with one error", async () => {
    const a = await ask('query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }', undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(a.errors![0]!.message).toMatch(/@aa.*more than once/);
    expect(a.data).toBeUndefined();
    if (transport === 'http') expect(a.status).toBe(400);
  });

  it('refuses the same known directive twice on one field with one error', async () => {
    const a = await ask('{ viewer { tier @include(if: true) @include(if: true) } }', undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
  });

  it('refuses a document over the directive budget with one error, even when every directive is unknown', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `a${i % 10}: __typename @d${i}`).join(' ');
    const a = await ask(`{ ${fields} }`, undefined, token);
    expect(codes(a)).toEqual(['TOO_MANY_DIRECTIVES']);
    expect(a.errors![0]!.message).toMatch(/Directives limit of 20 exceeded, found 30/);
  });

  it('still answers different directives on one field, and repeats on different fields', async () => {
    const a = await ask('{ viewer { tier @include(if: true) @skip(if: false) anonymous @include(if: true) } }', undefined, token);
    expect(a.errors).toBeUndefined();
    expect(a.data.viewer.tier).toBe('TRUSTED');
  });
});
