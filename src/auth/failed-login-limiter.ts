import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** How many refused credentials an address may send before its credentials are refused unread. */
export interface FailedLoginLimitOptions {
  /** Refused credentials allowed per address in one window. Default 30; 0 turns the limit off. */
  perWindow?: number;
  /** The window, seconds. Default 60. */
  windowSeconds?: number;
  /** How long an address that went over stays refused, seconds. Default 300. */
  blockSeconds?: number;
}

/**
 * Counts refused credentials (bad tokens, bad API keys) per source address, and says when an
 * address has sent too many: its credentials are then refused before they are verified or
 * audited, so a flood of forged tokens costs neither signature checks nor audit entries.
 *
 * In memory (rate-limiter-flexible's RateLimiterMemory), per instance: behind N instances an
 * address gets N times the allowance. That bounds work, not correctness: the audit log is bounded
 * anyway, since refusals are aggregated in the shared store (`AuditService.loginFailed`).
 */
export class FailedLoginLimiter {
  private readonly limiter: RateLimiterMemory;
  private readonly perWindow: number;
  private readonly blockSeconds: number;

  constructor(options: FailedLoginLimitOptions = {}) {
    this.perWindow = options.perWindow ?? 30;
    this.blockSeconds = options.blockSeconds ?? 300;
    this.limiter = new RateLimiterMemory({
      keyPrefix: 'failed-login',
      points: Math.max(1, this.perWindow),
      duration: options.windowSeconds ?? 60,
    });
  }

  /** Seconds until this address may present credentials again; null when it may now. */
  async retryAfter(address: string): Promise<number | null> {
    if (this.perWindow === 0) return null;
    const state = await this.limiter.get(address);
    if (!state || state.consumedPoints < this.perWindow) return null;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  /** Counts one refused credential from this address. */
  async refused(address: string): Promise<void> {
    if (this.perWindow === 0) return;
    let state: RateLimiterRes;
    try {
      state = await this.limiter.consume(address);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      state = err;
    }
    // The allowance is spent: refuse the address for blockSeconds, which `retryAfter` reports.
    if (state.consumedPoints === this.perWindow) await this.limiter.block(address, this.blockSeconds);
  }
}
