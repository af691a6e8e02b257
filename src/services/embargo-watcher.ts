import type { NoticeRepository } from '../store/ports.js';
import type { EventRecorder } from './event-recorder.js';

/**
 * Embargoes end on their own: nothing writes a notice when its `embargoUntil` passes, so this
 * watcher notices it and records a RELEASED event, and those the notice was withheld from hear
 * of it then. (Visibility itself needs no watcher: the policy compares `embargoUntil` with now.)
 */
export class EmbargoWatcher {
  private timer: NodeJS.Timeout | null = null;
  private checkedUntil: Date;

  constructor(
    private readonly notices: NoticeRepository,
    private readonly events: EventRecorder,
    private readonly onError: (err: unknown) => void,
    now: Date = new Date(),
  ) {
    this.checkedUntil = now;
  }

  start(everyMs = 1_000): void {
    this.timer = setInterval(() => void this.check().catch(this.onError), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Records a RELEASED event for every embargo that ended on its own since the last check. Each
   * check claims its window before it reads, so overlapping checks never release a notice twice;
   * a notice written at or after its embargo end (a lift by approval) was announced by that write.
   */
  async check(now = new Date()): Promise<number> {
    const from = this.checkedUntil;
    if (now <= from) return 0;
    this.checkedUntil = now;
    let ended;
    try {
      ended = await this.notices.find({ embargoUntil: { $gt: from, $lte: now } }, { sort: [['embargoUntil', 1], ['_id', 1]] });
    } catch (err) {
      if (this.checkedUntil === now) this.checkedUntil = from;
      throw err;
    }
    const released = ended.filter((n) => n.updatedAt < n.embargoUntil!);
    for (const notice of released) await this.events.embargoEnded(notice);
    return released.length;
  }
}
