import {
  closeSubscriptionLeases,
  LimitExceededError,
  renewSubscriptionLeases,
  subscriptionLeaseMs,
  type Database,
  type LimitDefaults,
  type Principal,
} from "@conveyor/db";
import { openSubscriptionLeases } from "./lease-openings";

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
 *
 * Openings for one token that arrive while an earlier one is being written
 * are written together, in one transaction: one at a time, 1,000 streams
 * opening at once queued on the token's row lock for about ten seconds.
 * Releases are likewise deleted together, one statement per batch.
 */
export class SubscriptionLeases {
  /** Open leases: the signal that ends their stream, and their token (to renew them by). */
  private readonly open = new Map<string, { revoked: AbortController; tokenId: string }>();
  /** Openings waiting for the batch in flight, per token. */
  private readonly waiting = new Map<string, PendingOpening[]>();
  /** Tokens with a batch of openings being written. */
  private readonly opening = new Set<string>();
  /** Released leases not yet deleted; `closing` is true while a batch is being deleted. */
  private released: string[] = [];
  private closing = false;
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
  acquire(principal: Principal): Promise<Lease> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(principal.tokenId) ?? [];
      queue.push({ principal, resolve, reject });
      this.waiting.set(principal.tokenId, queue);
      if (!this.opening.has(principal.tokenId)) void this.openWaiting(principal.tokenId);
    });
  }

  /** Write the token's waiting openings, a batch at a time, until none is left. */
  private async openWaiting(tokenId: string): Promise<void> {
    this.opening.add(tokenId);
    try {
      for (let batch = this.waiting.get(tokenId); batch; batch = this.waiting.get(tokenId)) {
        this.waiting.delete(tokenId);
        const [first] = batch;
        if (!first) continue;
        const cap = first.principal.limits.maxSubscriptions ?? this.limits.maxSubscriptions;
        try {
          const ids = await openSubscriptionLeases(this.db, tokenId, batch.length, cap);
          // In arrival order: the first openings get the room left under the cap, the rest are refused.
          batch.forEach((opening, index) => {
            const id = ids[index];
            if (id) opening.resolve(this.leaseOf(id, tokenId));
            else opening.reject(new LimitExceededError(`this token already has ${cap} subscriptions open, its limit: close one first`, null));
          });
        } catch (error) {
          for (const opening of batch) opening.reject(error);
        }
      }
    } finally {
      this.opening.delete(tokenId);
    }
  }

  private leaseOf(id: string, tokenId: string): Lease {
    const revoked = new AbortController();
    this.open.set(id, { revoked, tokenId });
    return {
      revoked: revoked.signal,
      release: () => {
        if (!this.open.delete(id)) return;
        this.released.push(id);
        if (!this.closing) void this.closeReleased();
      },
    };
  }

  /** Delete the released leases, a batch at a time (those released meanwhile form the next), until none is left. */
  private async closeReleased(): Promise<void> {
    this.closing = true;
    try {
      // Let the streams that end in this turn of the event loop join the first batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.released.length > 0) {
        const batch = this.released;
        this.released = [];
        await closeSubscriptionLeases(this.db, batch).catch(() => {
          // They expire on their own within a minute.
        });
      }
    } finally {
      this.closing = false;
    }
  }

  get size(): number {
    return this.open.size;
  }

  /** Renew every open lease; end the streams whose token is no longer valid. */
  async renew(): Promise<void> {
    try {
      const invalid = await renewSubscriptionLeases(this.db, [...this.open].map(([id, { tokenId }]) => ({ id, tokenId })));
      for (const id of invalid) this.open.get(id)?.revoked.abort();
    } catch {
      // The database is unreachable: the next renewal tries again, well before the leases expire.
    }
  }
}

interface PendingOpening {
  principal: Principal;
  resolve(lease: Lease): void;
  reject(error: unknown): void;
}
