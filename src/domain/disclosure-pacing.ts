/**
 * Per-vendor pacing (issue 13: labs ask to "pace submissions to what maintainers can absorb"):
 * at most `HUB_VENDOR_PACE` new cases are notified to one vendor in any 7 consecutive days
 * (`PACING_WINDOW_MS`). The rest wait in the vendor's queue (their entry's `queuedAt`) and are
 * notified in queue order, oldest first, as the window frees. Pure: the caller reads the
 * vendor's notification times in the window from the store.
 */
import { PACING_WINDOW_MS } from './disclosure-clocks.js';

/** How many notifications the vendor may receive now, given those of the last 7 days. */
export function freeSlots(recentNotifications: readonly Date[], now: Date, pace: number): number {
  const since = now.getTime() - PACING_WINDOW_MS;
  const inWindow = recentNotifications.filter((d) => d.getTime() > since && d.getTime() <= now.getTime()).length;
  return Math.max(0, pace - inWindow);
}

/**
 * When the next slot frees (now when one is free): the moment the oldest notification that
 * still fills the window leaves it.
 */
export function nextSlotAt(recentNotifications: readonly Date[], now: Date, pace: number): Date {
  const since = now.getTime() - PACING_WINDOW_MS;
  const inWindow = recentNotifications
    .map((d) => d.getTime())
    .filter((t) => t > since && t <= now.getTime())
    .sort((a, b) => a - b);
  if (inWindow.length < pace) return now;
  return new Date(inWindow[inWindow.length - pace]! + PACING_WINDOW_MS);
}
