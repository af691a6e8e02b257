/**
 * The execution deadline covers serialisation too (issue 9): an answer that is cheap to execute but
 * too large to serialise before the deadline is refused with EXECUTION_TIMEOUT (HTTP 503), the
 * same on both transports, instead of being sent late. Real hub, real HTTP and graphql-ws clients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { IndicatorInput } from '../src/domain/types.js';
import { startTestHub, type TestHub } from './support/hub-fixture.js';

const LIMIT_MS = 1_000;
const PAGE = 500;
const DESCRIPTION = 'd'.repeat(4_000);

/** 14 aliases of a 4,000-character description on each of 500 nodes: 28 million characters of JSON, about 7,000 fields to execute. */
const HUGE = `{ indicators(first: ${PAGE}) { edges { node { ${Array.from({ length: 14 }, (_, i) => `d${i}: description`).join(' ')} } } } }`;
const SMALL = '{ indicators(first: 20) { edges { node { id description } } } }';

interface Answer {
  status: number;
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
  chars: number;
}

let t: TestHub;
let token: string;

beforeAll(async () => {
  t = await startTestHub({ config: { executionTimeoutMs: LIMIT_MS } });
  const member = t.member('big-publisher', 'TRUSTED');
  token = await member.token(['reader']);
  const viewer = { kind: 'member', memberId: 'big-publisher', userId: 'seed@big-publisher', roles: ['publisher'], tier: 'TRUSTED' } as const;
  const indicators = Array.from({ length: PAGE }, (_, i): IndicatorInput => ({ value: `wide-${i}.example`, tlp: 'CLEAR', severity: 'LOW', confidence: 50, description: DESCRIPTION }));
  // Through the service: the seed itself is not what is measured.
  await t.hub.services.indicators.publish(viewer, { idempotencyKey: 'wide-seed', indicators });
});

async function ask(transport: 'http' | 'ws', query: string): Promise<Answer> {
  if (transport === 'http') {
    const res = await t.gql(query, undefined, { token });
    return { status: res.status, data: res.body.data, errors: res.body.errors, chars: res.text.length };
  }
  const client = t.wsClient(token);
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    client.subscribe(
      { query },
      {
        next: (result) => void (answer = { status: 0, data: result.data ?? undefined, errors: result.errors as Answer['errors'], chars: JSON.stringify(result).length }),
        error: (err) => (Array.isArray(err) ? resolve({ status: 0, errors: err, chars: JSON.stringify(err).length }) : reject(err)),
        complete: () => (answer ? resolve(answer) : reject(new Error('completed without a result'))),
      },
    );
  });
}

describe.each(['http', 'ws'] as const)('the execution deadline over %s', (transport) => {
  it('refuses an answer that could not be serialised before the deadline, with one EXECUTION_TIMEOUT error and no data', async () => {
    const a = await ask(transport, HUGE);
    expect(a.errors).toEqual([{ message: `The operation ran longer than the 1 s execution limit`, extensions: { code: 'EXECUTION_TIMEOUT' } }]);
    expect(a.data).toBeUndefined();
    expect(a.chars).toBeLessThan(1_000);
    if (transport === 'http') expect(a.status).toBe(503);
  });

  it('still answers an ordinary query under the same limit', async () => {
    const a = await ask(transport, SMALL);
    expect(a.errors).toBeUndefined();
    expect(a.data.indicators.edges).toHaveLength(20);
  });
});
