/**
 * The port through which the fan-out reaches one subscriber. The transport adapter implements it
 * (graphql-ws: src/http/ws-server.ts) and owns the wire frames: the fan-out hands it payloads,
 * each a serialised execution result, and never sees a protocol message.
 */
export interface AlertSink {
  /**
   * Writes payloads in order, together where the transport allows (one system call for a
   * dispatch round: writes, not executing documents, are the cost on a busy hub). Returns false
   * when the transport stopped at its buffer limit before writing them all: the fan-out then
   * closes the subscriber as slow (`closeSlow`), and it resumes from the last cursor it received.
   */
  write(payloads: readonly string[]): boolean;
  /** Bytes queued for this subscriber and not yet written to the network. */
  bufferedAmount(): number;
  /**
   * The subscriber fell too far behind: end its connection (graphql-ws closes with 4413) so that
   * it reconnects and resumes with `after`; nothing is lost.
   */
  closeSlow(): void;
}
