import {
  closeSubscriptionLease,
  openSubscriptionLease,
  renewSubscriptionLeases,
  subscriptionLeaseMs,
  type Database,
  type LimitDefaults,
  type Principal,
} from "@conveyor/db";

/** A live subscription's claim on its token's cap. */
export interface Lease {
  /** Aborts when the token is revoked or expires while the stream is open. */
  readonly revoked: AbortSignal;
  release(): void;
}

/**
 * The subscription leases of this API process: opened against the token's
 * cap in Postgres, renewed together every third of their lifetime, and
 * released when their stream ends. A renewal also finds leases whose token
 * was revoked or expired, and ends those streams.
 */
export class SubscriptionLeases {
  private readonly open = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | null = null;
  /** How often leases are renewed, and so how soon a revoked token's open streams end; well within a lease's life. */
  private readonly renewEveryMs: number;

  constructor(
    private readonly db: Database,
    private readonly limits: LimitDefaults,
    renewEveryMs = subscriptionLeaseMs / 3,
  ) {
    this.renewEveryMs = Math.min(renewEveryMs, subscriptionLeaseMs / 2);
  }

  start(): void {
    this.timer = setInterval(() => void this.renew(), this.renewEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Claim a slot for one subscription; throws `LimitExceededError` at the token's cap. */
  async acquire(principal: Principal): Promise<Lease> {
    const id = await openSubscriptionLease(this.db, principal, this.limits);
    const revoked = new AbortController();
    this.open.set(id, revoked);
    return {
      revoked: revoked.signal,
      release: () => {
        if (!this.open.delete(id)) return;
        closeSubscriptionLease(this.db, id).catch(() => {
          // It expires on its own within a minute.
        });
      },
    };
  }

  get size(): number {
    return this.open.size;
  }

  /** Renew every open lease; end the streams whose token is no longer valid. */
  async renew(): Promise<void> {
    try {
      const invalid = await renewSubscriptionLeases(this.db, [...this.open.keys()]);
      for (const id of invalid) this.open.get(id)?.abort();
    } catch {
      // The database is unreachable: the next renewal tries again, well before the leases expire.
    }
  }
}
