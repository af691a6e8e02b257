import { WebSocket } from 'ws';

/** Close codes the guard ends a socket with (docs/limits.md, "Connections"). */
export const SOCKET_GUARD_CLOSE = {
  /** More than `maxBufferedBytes` waited for a socket when the hub had another message for it (as the alert fan-out's slow consumer). */
  slowConsumer: { code: 4413, reason: 'Slow consumer: the socket is not reading' },
  /** More keep-alive messages (`ping`, `pong`) than the window allows. */
  tooManyPings: { code: 4429, reason: 'Too many ping/pong messages' },
} as const;

/** Largest `ping` payload echoed in the `pong`, in bytes of JSON; a larger one is answered with a bare `pong`. */
export const PONG_PAYLOAD_MAX_BYTES = 1024;

export interface SocketGuardOptions {
  /**
   * Bytes that may wait in a socket's outgoing buffer (ws's `bufferedAmount`). A message for a
   * socket already holding more is dropped and the socket closed with 4413, whatever the
   * message (`next`, `error`, `complete`, `pong`, alert frames): the buffer holds at most this
   * plus one message. Messages written while the socket is corked (the alert fan-out's rounds,
   * which check the same limit before each round) are not checked one by one. The hub passes
   * `HUB_WS_MAX_BUFFER`. Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Keep-alive messages (`ping` and `pong` together) a socket may send per `keepAliveWindowMs`; the next closes it with 4429. Default 30. */
  maxKeepAlives?: number;
  /** The window `maxKeepAlives` counts over, ms. Default 10 s. */
  keepAliveWindowMs?: number;
  /**
   * How long a socket closed with 4413 may take to finish its closing handshake before it is
   * destroyed, ms. A socket that does not read never receives the close frame (it waits behind
   * what it did not read), and ws alone would hold that buffer for 30 s. Default 1 s.
   */
  slowCloseGraceMs?: number;
  /** Told of every socket the guard closes (for logs and metrics). Default: nothing. */
  onClose?: (close: { code: number; reason: string }) => void;
}

/**
 * A ws `WebSocket` class for `new WebSocketServer({ WebSocket })` that bounds what one socket can
 * make the hub hold, beneath graphql-ws (which queues whatever it is asked to send and answers
 * every `ping` with its payload, before `connection_init` too):
 *
 * - every outgoing message is checked against `maxBufferedBytes` (close 4413);
 * - `ping` messages are answered here, never by graphql-ws: with the payload only when it is at
 *   most {@link PONG_PAYLOAD_MAX_BYTES}, so an echo costs at most that;
 * - `ping` and `pong` messages are counted per socket, over the limit the socket is closed (4429).
 *
 * Written by hand: the checks sit between ws and graphql-ws's `use/ws` adapter, which offers no hook
 * for outgoing messages or for answering pings (its `onPing` can only observe or throw).
 */
export function guardedWebSocket(options: SocketGuardOptions = {}): typeof WebSocket {
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const maxKeepAlives = options.maxKeepAlives ?? 30;
  const windowMs = options.keepAliveWindowMs ?? 10_000;
  const graceMs = options.slowCloseGraceMs ?? 1_000;

  class GuardedWebSocket extends WebSocket {
    private windowStart = 0;
    private keepAlives = 0;
    private guardClosed = false;

    override send(data: unknown, optionsOrCb?: unknown, cb?: (err?: Error) => void): void {
      const callback = typeof optionsOrCb === 'function' ? (optionsOrCb as (err?: Error) => void) : cb;
      if (this.readyState !== WebSocket.OPEN) return super.send(data as string, optionsOrCb as object, callback);
      const raw = (this as unknown as { _socket?: { writableCorked?: number } })._socket;
      if (this.bufferedAmount > maxBuffered && !raw?.writableCorked) {
        this.closeGuarded(SOCKET_GUARD_CLOSE.slowConsumer);
        // Dropped, not failed: graphql-ws would log an error and close with 4500 otherwise.
        if (callback) queueMicrotask(() => callback());
        return;
      }
      super.send(data as string, optionsOrCb as object, callback);
    }

    override close(code?: number, reason?: string | Buffer): void {
      super.close(code, reason);
      // Whoever closes for a slow consumer (this guard or the alert fan-out): the close frame waits
      // behind the unread bytes, so give the handshake a moment, then let the buffer go.
      if (code === SOCKET_GUARD_CLOSE.slowConsumer.code) setTimeout(() => this.terminate(), graceMs).unref();
    }

    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'message' && this.intercepted(args[0])) return true;
      return super.emit(event, ...args);
    }

    /** True when the message was a keep-alive handled here (graphql-ws never sees it). */
    private intercepted(data: unknown): boolean {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(String(data));
      // Only a message containing "ping"/"pong" (or a \u escape that could spell them) can be one:
      // the others, subscribe messages up to 1 MB among them, are not parsed twice.
      if (!bytes.includes('ping') && !bytes.includes('pong') && !bytes.includes('\\u')) return false;
      let message: unknown;
      try {
        message = JSON.parse(bytes.toString('utf8'));
      } catch {
        return false; // graphql-ws closes the socket with 4400
      }
      const type = (message as { type?: unknown } | null)?.type;
      if (type !== 'ping' && type !== 'pong') return false;
      const now = Date.now();
      if (now - this.windowStart >= windowMs) {
        this.windowStart = now;
        this.keepAlives = 0;
      }
      if (++this.keepAlives > maxKeepAlives) {
        this.closeGuarded(SOCKET_GUARD_CLOSE.tooManyPings);
        return true;
      }
      if (type === 'ping') this.send(bytes.length <= PONG_PAYLOAD_MAX_BYTES + 64 ? pong((message as { payload?: unknown }).payload) : BARE_PONG);
      return true;
    }

    private closeGuarded(close: { code: number; reason: string }): void {
      if (this.guardClosed) return;
      this.guardClosed = true;
      options.onClose?.(close);
      this.close(close.code, close.reason);
    }
  }
  return GuardedWebSocket as typeof WebSocket;
}

/** The `pong` for a `ping`: its payload echoed when small (graphql-ws's own behaviour), else none. */
function pong(payload: unknown): string {
  if (payload === undefined || payload === null) return BARE_PONG;
  const echoed = JSON.stringify({ type: 'pong', payload });
  return Buffer.byteLength(echoed) <= PONG_PAYLOAD_MAX_BYTES + 32 ? echoed : BARE_PONG;
}

const BARE_PONG = '{"type":"pong"}';
