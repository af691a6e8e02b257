import type { AuditCheckpoint } from '../domain/types.js';
import type { AuditRepository, LeaseRepository } from '../store/ports.js';
import { signCheckpoint, type ChainSigner } from './audit-chain.js';
import { LeasedTicker } from './leased-ticker.js';

/** The lease whose holder is the one instance that signs the audit chain's head on schedule. */
export const AUDIT_CHECKPOINT_LEASE = 'audit-checkpointer';

export interface AuditCheckpointerOptions {
  audit: AuditRepository;
  /** Only the holder of `audit-checkpointer` signs on schedule, so a hub of n instances signs once, not n times. */
  leases: LeaseRepository;
  /** This instance's name in the lease; unique per running instance. */
  holder: string;
  /** The hub's key (the one that signs its tokens). */
  signer: ChainSigner;
  /** Called with what a scheduled tick threw; the next tick tries again. */
  onError: (err: unknown) => void;
  /** The time a checkpoint states. Default the real time. */
  now?: () => Date;
  /**
   * Time between scheduled ticks. Default 15 s: with the default lease a new holder takes over
   * within 40 s of the last one's death, so the head is signed at least once a minute even then.
   */
  everyMs?: number;
  /** How long the lease lasts unless renewed; each tick renews it. Default 40 s. */
  leaseMs?: number;
  /** With the head unchanged, a checkpoint is still signed this long after the last one (the hub was alive and the log unchanged). Default 1 h. */
  idleEveryMs?: number;
}

/**
 * Signs the audit chain's head: on a schedule (the lease holder only) and on shutdown (every
 * instance, `checkpoint()`). A checkpoint is signed when the head moved since the last one, or
 * the last one is older than `idleEveryMs`: an unchanged head signed again every minute would
 * add a document a minute and no evidence about any entry.
 */
export class AuditCheckpointer {
  private readonly ticker: LeasedTicker<AuditCheckpoint | null>;
  private readonly now: () => Date;

  constructor(private readonly options: AuditCheckpointerOptions) {
    this.now = options.now ?? (() => new Date());
    this.ticker = new LeasedTicker(
      { lease: AUDIT_CHECKPOINT_LEASE, leases: options.leases, holder: options.holder, onError: options.onError, leaseMs: options.leaseMs ?? 40_000, everyMs: options.everyMs ?? 15_000, clock: this.now },
      () => this.checkpoint(),
      null,
    );
  }

  start(): void {
    this.ticker.start();
  }

  stop(): void {
    this.ticker.stop();
  }

  /** Renews the lease, then signs the head if due; without the lease, does nothing. */
  tick(): Promise<AuditCheckpoint | null> {
    return this.ticker.run();
  }

  /** Signs and stores the head if it moved since the last checkpoint (or that one is old); returns it, or null. */
  async checkpoint(): Promise<AuditCheckpoint | null> {
    const { audit, signer } = this.options;
    const [head] = await audit.find({}, { sort: [['seq', -1]], limit: 1 });
    if (!head?.hash) return null;
    const at = this.now();
    const [last] = await audit.checkpoints(1);
    const moved = !last || last.seq !== head.seq || last.headHash !== head.hash;
    if (!moved && at.getTime() - last.at.getTime() < (this.options.idleEveryMs ?? 3_600_000)) return null;
    const checkpoint = await signCheckpoint(signer, head.seq, head.hash, at);
    await audit.addCheckpoint(checkpoint);
    return checkpoint;
  }
}
