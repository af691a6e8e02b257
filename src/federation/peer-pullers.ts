import type { LeaseRepository } from '../store/ports.js';
import type { Member } from '../domain/types.js';
import { PeerPuller, type PullerSink, type PullerState } from './peer-puller.js';

/** The lease of one peer's puller: one instance pulls each peer. */
export const peerLease = (peerId: string): string => `peer-puller:${peerId}`;

export interface PeerPullersOptions {
  /** The peers to pull now, with their credentials opened (PeerService.runnable). */
  runnable: () => Promise<Array<{ member: Member; credential: string }>>;
  sink: PullerSink;
  leases: LeaseRepository;
  /** This instance's name in the leases. */
  holder: string;
  hubId: string;
  maxHops: number;
  /** Called with what a tick or a puller failed with (a puller's failure described; never a credential). */
  onError: (err: unknown, peerId?: string) => void;
  /** How long a lease lasts unless renewed; each tick renews it. Default 30 s. */
  leaseMs?: number;
  /** Time between ticks. Default 1 s. */
  everyMs?: number;
  /** Pullers' first retry delay, ms. Default 250. */
  backoffMs?: number;
}

/**
 * Runs one `PeerPuller` per runnable peer whose lease this instance holds (like the embargo
 * watcher: lease + ticker). Each tick renews the leases, starts pullers for peers newly runnable
 * (approved, resumed) and stops those no longer runnable (paused, removed, suspended, settings
 * changed) or whose lease another instance took.
 */
export class PeerPullers {
  private readonly running = new Map<string, { puller: PeerPuller; settings: string }>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: PeerPullersOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.everyMs ?? 1_000);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await Promise.all([...this.running.values()].map((r) => r.puller.stop()));
    // Let the leases go (1 ms left), so that a restarted instance pulls again at once, not 30 s later.
    await Promise.all([...this.running.keys()].map((id) => this.options.leases.acquire(peerLease(id), this.options.holder, 1).catch(() => false)));
    this.running.clear();
  }

  /** A puller's state on this instance, or null when this instance does not pull that peer. */
  state(peerId: string): PullerState | null {
    return this.running.get(peerId)?.puller.state ?? null;
  }

  /** Re-reads the peers at once (a peer's settings changed), rather than at the next tick. */
  changed(): void {
    void this.tick();
  }

  /** One round; overlapping calls share the round in progress, then run once more. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking.then(() => this.tick());
    this.ticking = this.round()
      .catch((err: unknown) => this.options.onError(err))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { leases, holder } = this.options;
    const wanted = new Map((await this.options.runnable()).map((r) => [r.member._id, r]));
    for (const [id, run] of this.running) {
      const want = wanted.get(id);
      const keep = want && settingsOf(want.member, want.credential) === run.settings && (await leases.acquire(peerLease(id), holder, this.options.leaseMs ?? 30_000));
      if (!keep) {
        this.running.delete(id);
        await run.puller.stop();
      }
    }
    for (const [id, { member, credential }] of wanted) {
      if (this.stopped || this.running.has(id)) continue;
      if (!(await leases.acquire(peerLease(id), holder, this.options.leaseMs ?? 30_000))) continue;
      const peer = member.peer!;
      const puller = new PeerPuller({
        peerId: id,
        url: peer.url,
        credential,
        pull: peer.pull,
        shareOnward: peer.shareOnward,
        cursor: peer.cursor,
        hubId: this.options.hubId,
        maxHops: this.options.maxHops,
        sink: this.options.sink,
        onError: (err, peerId) => this.options.onError(err, peerId),
        ...(this.options.backoffMs !== undefined ? { backoffMs: this.options.backoffMs } : {}),
      });
      this.running.set(id, { puller, settings: settingsOf(member, credential) });
      puller.start();
    }
  }
}

/** What a puller was started with, but for its cursor (which it moves itself): a change restarts it. */
function settingsOf(member: Member, credential: string): string {
  const p = member.peer!;
  return JSON.stringify([p.url, p.pull, p.shareOnward, credential.length, credential.slice(-8)]);
}
