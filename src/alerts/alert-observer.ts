/** Hears alert deliveries (metrics implement it). */
export interface AlertObserver {
  /** `count` events written to one socket, `lagSeconds` = now - the event's append time, per event. */
  delivered(lagSeconds: number[]): void;
  /** A subscriber was closed for being too slow (4413). */
  slowConsumerClosed(): void;
}
