import type { EventDoc } from '../domain/events.js';

/**
 * How appended events reach the fan-out of every hub instance. The in-process bus serves one
 * instance; a MongoDB change-stream bus (tailing the event log) serves several.
 */
export interface EventBus {
  /** Announces events just appended to the log, in position order. */
  publish(events: readonly EventDoc[]): void;
  /** Announces that a member's tier, suspension or credentials changed. */
  memberChanged(memberId: string): void;
  onEvents(listener: (events: readonly EventDoc[]) => void): () => void;
  onMemberChanged(listener: (memberId: string) => void): () => void;
  /** Stops listening to other instances (change streams, timers). Absent when there is nothing to stop. */
  close?(): Promise<void>;
}

/** The bus for a single hub process. */
export class InProcessEventBus implements EventBus {
  private readonly eventListeners = new Set<(events: readonly EventDoc[]) => void>();
  private readonly memberListeners = new Set<(memberId: string) => void>();

  publish(events: readonly EventDoc[]): void {
    if (events.length === 0) return;
    for (const l of this.eventListeners) l(events);
  }

  memberChanged(memberId: string): void {
    for (const l of this.memberListeners) l(memberId);
  }

  onEvents(listener: (events: readonly EventDoc[]) => void) {
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }

  onMemberChanged(listener: (memberId: string) => void) {
    this.memberListeners.add(listener);
    return () => void this.memberListeners.delete(listener);
  }
}
