/**
 * The alerts bench's client process: thousands of raw `ws` sockets speaking graphql-transport-ws
 * (connection_init with the member's bearer token, wait for connection_ack, one subscribe), far
 * cheaper per socket than the official client. Every `next` message is time-stamped on arrival
 * (wall clock, sub-ms: comparable with the server process's publish stamps) and matched to its
 * alert by the indicator value it carries. Driven over IPC by bench/alerts-bench.ts.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { openFileLimit, serveRpc, wallNow, type AlertDocument } from './alerts-shared.js';

interface Client {
  ws: WebSocket;
  /** `next` messages received in the current phase. */
  received: number;
  open: boolean;
}

const NEXT = Buffer.from('"type":"next"');
const VALUE = Buffer.from('"value":"');
const QUOTE = 0x22;

let clients: Client[] = [];
let arrivals = new Map<string, number[]>();
let received = 0;
let bytes = 0;
let unmatched = 0;
let otherMessages = 0;
let firstOther: string | null = null;
let closedDuringRun = 0;
let firstClose: string | null = null;
let phaseCpu = process.cpuUsage();
let phaseWall = wallNow();
let lastArrival = 0;
let waiter: { total: number; resolve: () => void } | null = null;

function onDelivery(client: Client, data: Buffer, at: number): void {
  if (data.indexOf(NEXT) === -1) {
    otherMessages++;
    firstOther ??= data.toString('utf8', 0, 400);
    return;
  }
  client.received++;
  received++;
  bytes += data.length;
  lastArrival = at;
  const i = data.indexOf(VALUE);
  if (i === -1) unmatched++;
  else {
    const start = i + VALUE.length;
    const key = data.toString('latin1', start, data.indexOf(QUOTE, start));
    let list = arrivals.get(key);
    if (!list) arrivals.set(key, (list = []));
    list.push(at);
  }
  if (waiter && received >= waiter.total) {
    const w = waiter;
    waiter = null;
    w.resolve();
  }
}

/** Opens one socket, completes the handshake and sends the subscription; resolves once subscribe is sent. */
function open(url: string, authorization: string | null, doc: AlertDocument): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    const client: Client = { ws, received: 0, open: false };
    let acked = false;
    ws.on('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization: `Bearer ${authorization}` } : {} }));
    });
    ws.on('message', (data: Buffer) => {
      const at = wallNow();
      if (acked) return onDelivery(client, data, at);
      const msg = JSON.parse(data.toString('utf8')) as { type: string };
      if (msg.type === 'ping') return ws.send(JSON.stringify({ type: 'pong' }));
      if (msg.type !== 'connection_ack') return reject(new Error(`expected connection_ack, got ${data.toString('utf8', 0, 300)}`));
      acked = true;
      client.open = true;
      ws.send(JSON.stringify({ id: randomUUID(), type: 'subscribe', payload: { query: doc.query, ...(doc.variables ? { variables: doc.variables } : {}) } }));
      resolve(client);
    });
    ws.on('error', (err) => {
      if (!acked) reject(err);
    });
    ws.on('close', (code, reason) => {
      if (!acked) return reject(new Error(`closed before connection_ack: ${code} ${reason.toString()}`));
      if (client.open) {
        client.open = false;
        closedDuringRun++;
        firstClose ??= `${code} ${reason.toString()}`;
      }
    });
  });
}

function resetPhase(): void {
  arrivals = new Map();
  received = 0;
  bytes = 0;
  unmatched = 0;
  otherMessages = 0;
  firstOther = null;
  lastArrival = 0;
  for (const c of clients) c.received = 0;
  phaseCpu = process.cpuUsage();
  phaseWall = wallNow();
}

serveRpc({
  clock: () => wallNow(),

  openFiles: () => openFileLimit(),

  /** Opens `subs.length` subscribers, `concurrency` handshakes at a time. */
  async connect(args: { url: string; docs: AlertDocument[]; subs: Array<{ auth: string | null; doc: number }>; concurrency: number }) {
    const started = performance.now();
    const opened: Client[] = new Array(args.subs.length);
    let next = 0;
    const worker = async () => {
      while (next < args.subs.length) {
        const i = next++;
        const s = args.subs[i]!;
        opened[i] = await open(args.url, s.auth, args.docs[s.doc]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(args.concurrency, args.subs.length) }, worker));
    clients = opened;
    closedDuringRun = 0;
    firstClose = null;
    resetPhase();
    return { ms: performance.now() - started };
  },

  /** Starts a measurement phase: clears the arrivals and counters, notes the CPU used so far. */
  reset() {
    resetPhase();
    return true;
  },

  /** Resolves when `total` deliveries arrived in this phase, or after `timeoutMs`. */
  async waitFor(args: { total: number; timeoutMs: number }) {
    if (received < args.total) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          waiter = null;
          resolve();
        }, args.timeoutMs);
        waiter = {
          total: args.total,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    }
    return { received, timedOut: received < args.total, lastArrival };
  },

  /** This phase's arrivals by alert value, and its counters. */
  collect() {
    let min = Infinity;
    let max = 0;
    for (const c of clients) {
      min = Math.min(min, c.received);
      max = Math.max(max, c.received);
    }
    const cpu = process.cpuUsage(phaseCpu);
    const byValue: Record<string, Float64Array> = {};
    for (const [key, list] of arrivals) byValue[key] = Float64Array.from(list);
    return {
      arrivals: byValue,
      received,
      bytes,
      unmatched,
      otherMessages,
      firstOther,
      perClient: { min: clients.length ? min : 0, max },
      closedDuringRun,
      firstClose,
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: wallNow() - phaseWall,
    };
  },

  /** Closes every socket (normally the server has closed them already) and waits for them to go. */
  async closeAll() {
    const closing = clients.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.open = false;
          if (c.ws.readyState === WebSocket.CLOSED) return resolve();
          c.ws.once('close', () => resolve());
          c.ws.terminate();
        }),
    );
    await Promise.all(closing);
    const n = clients.length;
    clients = [];
    resetPhase();
    return n;
  },
});
