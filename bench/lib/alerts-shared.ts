/**
 * What the alerts bench's three processes share: the subscription documents, how subscribers are
 * spread over viewers, the members, the published alerts, and a tiny request/reply RPC over the
 * Node IPC channel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IndicatorInput, MemberTier } from '../../src/domain/types.js';
import { generate } from './indicator-data.js';

/** Wall-clock ms with sub-ms resolution, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Documents and subscribers
// ---------------------------------------------------------------------------------------------

export interface AlertDocument {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * Distinct subscriptions (document + variables): what a realistic mix of clients sends. Every
 * alert the bench publishes (TLP:CLEAR, HIGH, DOMAIN) passes every filter, so each subscriber
 * should receive each alert exactly once. `sourceSector` is gated (@minTier COMMUNITY) on the hub:
 * anonymous subscribers get it withheld (null + extensions.redacted).
 */
export const ALERT_DOCUMENTS: readonly AlertDocument[] = [
  {
    name: 'full',
    query:
      'subscription Full { alerts { cursor type occurredAt indicator { id type value tlp severity confidence tags description validFrom validUntil createdAt updatedAt sourceSector } } }',
  },
  {
    name: 'compact',
    query: 'subscription Compact { alerts(filter: { kinds: [INDICATOR] }) { cursor type indicator { id value severity } } }',
  },
  {
    name: 'severe/LOW',
    query: 'subscription Severe($min: Severity) { alerts(filter: { minSeverity: $min }) { cursor type occurredAt indicator { id type value tlp severity confidence tags } } }',
    variables: { min: 'LOW' },
  },
  {
    name: 'severe/MEDIUM',
    query: 'subscription Severe($min: Severity) { alerts(filter: { minSeverity: $min }) { cursor type occurredAt indicator { id type value tlp severity confidence tags } } }',
    variables: { min: 'MEDIUM' },
  },
];

/** Viewer classes: anonymous (PUBLIC) and the three member tiers. */
export const CLASSES: ReadonlyArray<'PUBLIC' | MemberTier> = ['PUBLIC', 'COMMUNITY', 'TRUSTED', 'CORE'];
export const MEMBERS_PER_TIER = 4;

export const memberId = (tier: MemberTier, k: number) => `alerts-${tier.toLowerCase()}-${k}`;
export const SECTORS = ['energy', 'finance', 'health', 'telecom'] as const;

/**
 * Subscriber `i`'s viewer and document: class i % 4, member (i / 4) % 4, document (i / 16) % 4,
 * so every (viewer, document) pair occurs: 13 visibility classes (anonymous + 12 members) x 4
 * subscriptions = 52 groups on the hub.
 */
export function subscriberPlan(i: number): { cls: 'PUBLIC' | MemberTier; member: string | null; doc: number } {
  const cls = CLASSES[i % CLASSES.length]!;
  const k = Math.floor(i / CLASSES.length) % MEMBERS_PER_TIER;
  const doc = Math.floor(i / (CLASSES.length * MEMBERS_PER_TIER)) % ALERT_DOCUMENTS.length;
  return { cls, member: cls === 'PUBLIC' ? null : memberId(cls, k), doc };
}

// ---------------------------------------------------------------------------------------------
// Published alerts
// ---------------------------------------------------------------------------------------------

/** Generator namespace of the alerts' values (see indicator-data.ts). */
const ALERT_NS = 40;

/** The k-th alert value: a unique domain, which the clients read back to match deliveries to publishes. */
export const alertValue = (k: number): string => generate(ALERT_NS, k, ['DOMAIN']).value;

/** The k-th alert as a publish item (TLP:CLEAR by default: every subscriber may see it). */
export function alertInput(k: number, tlp: IndicatorInput['tlp'] = 'CLEAR'): IndicatorInput {
  const validFrom = new Date(Date.UTC(2026, 5, 1) + k * 60_000);
  return {
    value: alertValue(k),
    type: 'DOMAIN',
    tlp,
    recipients: null,
    severity: 'HIGH',
    confidence: 80,
    validFrom,
    validUntil: new Date(validFrom.getTime() + 30 * 86_400_000),
    tags: ['c2', 'phishing'],
    description: `alerts bench indicator ${k}: command-and-control domain seen in a phishing wave`,
  };
}

// ---------------------------------------------------------------------------------------------
// RPC over the IPC channel
// ---------------------------------------------------------------------------------------------

interface Request {
  rpc: number;
  cmd: string;
  args: unknown;
}
interface Reply {
  rpc: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** In a child: serves `handlers` over the IPC channel; exits when the parent goes away. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  if (!process.send) throw new Error('this file runs as a child of bench/alerts-bench.ts (no IPC channel)');
  process.on('message', async (msg: Request) => {
    const handler = handlers[msg.cmd];
    let reply: Reply;
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      reply = { rpc: msg.rpc, ok: true, result: await handler(msg.args as never) };
    } catch (err) {
      reply = { rpc: msg.rpc, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    process.send!(reply);
  });
  process.on('disconnect', () => process.exit(0));
}

export interface RpcChild {
  name: string;
  process: ChildProcess;
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  /** Disconnects and waits for the child to exit (kills it after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `file` (TypeScript through tsx, or JavaScript) as a child with an IPC channel, through bash so that
 * its open-file limit can be raised first: 10,000 sockets need more than a common default of
 * 1,024. The soft limit goes to 65,536 (or the hard limit when that is lower and we may not
 * raise it).
 */
export function startChild(name: string, file: URL, nodeArgs: string[] = [], env: Record<string, string> = {}): RpcChild {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  // TypeScript through tsx; a compiled .mjs (bench/lib/list-bench.ts builds one) runs on plain node.
  const loader = fileURLToPath(file).endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn('bash', ['-c', script, 'bash', process.execPath, ...nodeArgs, ...loader, fileURLToPath(file)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `${name} exited (code ${code}, signal ${signal})`;
      for (const w of waiting.values()) w.reject(new Error(`${exited} during ${w.cmd}`));
      waiting.clear();
      resolve();
    }),
  );
  child.on('message', (msg: Reply) => {
    const w = waiting.get(msg.rpc);
    if (!w) return;
    waiting.delete(msg.rpc);
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new Error(`${name} ${w.cmd}: ${msg.error}`));
  });
  return {
    name,
    process: child,
    call<T>(cmd: string, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(new Error(exited));
      const rpc = ++next;
      return new Promise<T>((resolve, reject) => {
        waiting.set(rpc, { resolve: resolve as (v: unknown) => void, reject, cmd });
        child.send({ rpc, cmd, args } satisfies Request);
      });
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}

/** The soft open-file limit of the calling process (Linux), or null. */
export async function openFileLimit(): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const line = (await readFile('/proc/self/limits', 'utf8')).split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}
