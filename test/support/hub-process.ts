/**
 * Starts test/support/hub-child.ts in its own Node process and measures its RSS, for tests that
 * bound the hub's memory under an abuse (the test process's own clients must not count). Every
 * process started here is killed after the test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { HUB_CHILD_BIN } from './hub-bin.js';

export interface HubProcess {
  port: number;
  url: string;
  wsUrl: string;
  /** The hub process's RSS in bytes, after forced garbage collections. */
  rss(): Promise<number>;
  /** Registers the member (TRUSTED unless `tier` says) unless it exists, and returns a token for it (a reader's unless `roles` say). */
  token(memberId: string, options?: { roles?: string[]; userId?: string; tier?: string }): Promise<string>;
  stop(): Promise<void>;
  /** `kill -9`: the process ends at once, mid-write or not. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

function withoutStoreSelection(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MONGODB_URI: _uri, HUB_STORE: _store, ...rest } = env;
  return rest;
}

export async function startHubProcess(env: Record<string, string> = {}): Promise<HubProcess> {
  // The young generation pinned at 16 MB: Node 22 and later let V8 grow it to 64 MB and more, which
  // then stays in RSS after a GC, so the same retained memory would measure differently per Node.
  const child = spawn(process.execPath, ['--expose-gc', '--max-semi-space-size=16', ...HUB_CHILD_BIN], {
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    // The store is the caller's choice: a MONGODB_URI set for the MongoDB suites is not inherited
    // (with HUB_STORE=sqlite it would stop the child: "unset one of them").
    env: { ...withoutStoreSelection(process.env), LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`hub process exited (${code}) before it was ready`)));
    child.on('message', (msg: { ready?: boolean; port?: number }) => {
      if (msg.ready) resolve(msg.port!);
    });
  });
  let next = 0;
  const call = <T>(request: Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      const rpc = ++next;
      const onMessage = (msg: { rpc?: number }) => {
        if (msg.rpc !== rpc) return;
        child.off('message', onMessage);
        resolve(msg as T);
      };
      child.on('message', onMessage);
      child.send({ rpc, ...request });
    });
  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    rss: async () => (await call<{ rss: number }>({ cmd: 'rss' })).rss,
    token: async (memberId, options = {}) => (await call<{ token: string }>({ cmd: 'token', memberId, ...options })).token,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ rpc: 0, cmd: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
