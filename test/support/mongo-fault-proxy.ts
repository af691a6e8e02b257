/**
 * A TCP proxy in front of a MongoDB-speaking server that lets a test change the server's answers:
 * the faults no emulator produces on its own (an old server, a write concern timeout, a transient
 * transaction error, a change stream the server ends). Everything else passes through unchanged.
 *
 * It reads the wire protocol's frames in both directions: OP_MSG (2013, section 0 is the command)
 * and the legacy OP_QUERY / OP_REPLY pair the driver's first handshake uses. Compression is not
 * handled (the hub never asks for it). A rule sees each command and may answer it itself
 * (`respond`) or rewrite the server's reply (`rewrite`); rules are consulted in order, first
 * answer wins.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;

export interface ProxiedCommand {
  /** The command's name: its body's first key (`hello`, `ismaster`, `insert`, `getMore`...). */
  name: string;
  body: Document;
}

export interface FaultRule {
  /** Answer the command without asking the server (the reply document). */
  respond?: (command: ProxiedCommand) => Document | undefined;
  /** Rewrite the server's reply (return undefined to leave it). */
  rewrite?: (command: ProxiedCommand, reply: Document) => Document | undefined;
}

export interface MongoFaultProxy {
  /** `mongodb://127.0.0.1:<port>/?directConnection=true` plus the target's other options. */
  uri: string;
  rules: FaultRule[];
  /** Every command seen, in order (name only), for assertions on what the driver sent. */
  seen: string[];
  close(): Promise<void>;
}

interface Frame {
  requestId: number;
  responseTo: number;
  opCode: number;
  bytes: Buffer;
}

/** Splits a byte stream into wire-protocol frames (int32 length prefix). */
class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (frame: Frame) => void) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (this.buffer.length >= 16) {
      const length = this.buffer.readInt32LE(0);
      if (this.buffer.length < length) return;
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      this.onFrame({ requestId: bytes.readInt32LE(4), responseTo: bytes.readInt32LE(8), opCode: bytes.readInt32LE(12), bytes: Buffer.from(bytes) });
    }
  }
}

/** The command document of a request frame, or null for a frame the proxy does not read. */
function commandOf(frame: Frame): ProxiedCommand | null {
  let body: Document | null = null;
  if (frame.opCode === OP_MSG) body = opMsgBody(frame.bytes);
  else if (frame.opCode === OP_QUERY) {
    // header(16) flags(4) cstring fullCollectionName, numberToSkip(4), numberToReturn(4), query
    const nameEnd = frame.bytes.indexOf(0, 20);
    const at = nameEnd + 1 + 8;
    body = BSON.deserialize(frame.bytes.subarray(at, at + frame.bytes.readInt32LE(at)));
  }
  if (!body) return null;
  const name = Object.keys(body)[0] ?? '';
  return { name, body };
}

function opMsgBody(bytes: Buffer): Document | null {
  let at = 20; // header + flagBits
  while (at < bytes.length) {
    const kind = bytes[at]!;
    at += 1;
    const size = bytes.readInt32LE(at);
    if (kind === 0) return BSON.deserialize(bytes.subarray(at, at + size));
    at += size;
  }
  return null;
}

function replyDocument(frame: Frame): Document | null {
  if (frame.opCode === OP_MSG) return opMsgBody(frame.bytes);
  if (frame.opCode === OP_REPLY) {
    const at = 16 + 20;
    return BSON.deserialize(frame.bytes.subarray(at, at + frame.bytes.readInt32LE(at)));
  }
  return null;
}

/** A reply frame of the same kind the request expects, answering `responseTo`. */
function encodeReply(opCode: number, responseTo: number, reply: Document, flagBits = 0): Buffer {
  const doc = Buffer.from(BSON.serialize(reply));
  let body: Buffer;
  if (opCode === OP_REPLY) {
    body = Buffer.alloc(20);
    body.writeInt32LE(8, 0); // AwaitCapable
    body.writeInt32LE(1, 16); // numberReturned
    body = Buffer.concat([body, doc]);
  } else {
    const head = Buffer.alloc(5);
    head.writeUInt32LE(flagBits & ~1, 0); // never a checksum: the body changed
    head[4] = 0;
    body = Buffer.concat([head, doc]);
  }
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(Math.floor(Math.random() * 2 ** 30), 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, body]);
}

/**
 * Starts the proxy in front of `targetUri` (a `mongodb://host:port/...` URI), or with no server
 * behind it (`null`): then the rules answer everything, and a command no rule answers gets a
 * CommandNotFound error.
 */
export async function startMongoFaultProxy(targetUri: string | null, rules: FaultRule[] = []): Promise<MongoFaultProxy> {
  const target = targetUri === null ? null : /^mongodb:\/\/(?:[^@/]*@)?([^/:?,]+):(\d+)/.exec(targetUri);
  if (targetUri !== null && !target) throw new Error(`not a single-host mongodb:// URI: ${targetUri}`);
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const proxy: Partial<MongoFaultProxy> = { rules, seen };

  const server: Server = createServer((client) => {
    const upstream = target ? connect(Number(target[2]), target[1]) : null;
    sockets.add(client);
    if (upstream) sockets.add(upstream);
    const pending = new Map<number, ProxiedCommand>();
    const drop = () => {
      client.destroy();
      upstream?.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream?.on('error', drop).on('close', drop);

    const fromClient = new FrameReader((frame) => {
      const command = commandOf(frame);
      if (command) {
        seen.push(command.name);
        for (const rule of proxy.rules!) {
          const answer = rule.respond?.(command);
          if (answer) {
            client.write(encodeReply(frame.opCode === OP_QUERY ? OP_REPLY : OP_MSG, frame.requestId, answer));
            return;
          }
        }
        pending.set(frame.requestId, command);
      }
      if (upstream) upstream.write(frame.bytes);
      else if (command) {
        const answer = { ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: `no such command: '${command.name}'` };
        client.write(encodeReply(frame.opCode === OP_QUERY ? OP_REPLY : OP_MSG, frame.requestId, answer));
      }
    });
    const fromServer = new FrameReader((frame) => {
      const command = pending.get(frame.responseTo);
      // An exhaust reply (moreToCome) answers the same request again: keep it for the next one.
      const moreToCome = frame.opCode === OP_MSG && (frame.bytes.readUInt32LE(16) & 2) !== 0;
      if (!moreToCome) pending.delete(frame.responseTo);
      const reply = command ? replyDocument(frame) : null;
      if (command && reply) {
        for (const rule of proxy.rules!) {
          const rewritten = rule.rewrite?.(command, reply);
          if (rewritten) {
            const flags = frame.opCode === OP_MSG ? frame.bytes.readUInt32LE(16) : 0;
            client.write(encodeReply(frame.opCode, frame.responseTo, rewritten, flags));
            return;
          }
        }
      }
      client.write(frame.bytes);
    });
    client.on('data', (chunk) => fromClient.push(chunk));
    upstream?.on('data', (chunk) => fromServer.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  proxy.uri = `mongodb://127.0.0.1:${address.port}/?directConnection=true`;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy as MongoFaultProxy;
}
