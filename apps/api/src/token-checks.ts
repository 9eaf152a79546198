import { checkToken, tokenChangesChannel, type Database, type Principal } from "@conveyor/db";

/** How long an accepted token is trusted without reading its row again, when no change was announced. */
const trustMs = 5_000;
/** Tokens kept at most; beyond it the oldest are forgotten (a client cycling through many tokens). */
const maxKept = 10_000;

interface Kept {
  principal: Promise<Principal>;
  tokenId?: string;
  checkedAt: number;
  expiresAt: number | null;
}

/**
 * Token checks for one API process. Every request carries its token; reading
 * the token's row for each is a round trip per request, so an accepted token
 * is kept for a few seconds. Revoking a token (from any process or the CLI),
 * changing its limits or deleting it is announced by Postgres on
 * `conveyor_tokens` (a trigger, see migration 0013), and the process forgets
 * it at once; the few seconds bound only what a lost announcement could
 * cost. When the LISTEN connection comes back after a drop, everything kept
 * is forgotten. Rejections are not kept: a new token works at its first use.
 */
export class TokenChecks {
  private readonly kept = new Map<string, Kept>();
  private listening: { unlisten(): Promise<void> } | undefined;

  constructor(private readonly db: Database) {}

  async start(): Promise<void> {
    this.listening = await this.db.$client.listen(
      tokenChangesChannel,
      (tokenId) => this.forgetToken(tokenId),
      // (Re)connected: announcements may have been missed meanwhile.
      () => this.kept.clear(),
    );
  }

  async stop(): Promise<void> {
    await this.listening?.unlisten();
    this.kept.clear();
  }

  /** The principal of a bare token; rejects with `TokenRejectedError`. */
  check(token: string): Promise<Principal> {
    const now = Date.now();
    const kept = this.kept.get(token);
    if (kept && now - kept.checkedAt < trustMs && (kept.expiresAt === null || kept.expiresAt > now)) return kept.principal;
    const entry: Kept = { principal: Promise.resolve().then(() => checkToken(this.db, token)).then((checked) => {
      entry.tokenId = checked.principal.tokenId;
      entry.expiresAt = checked.expiresAt?.getTime() ?? null;
      return checked.principal;
    }), checkedAt: now, expiresAt: null };
    // Concurrent requests with the same token share one read; a rejection (or a failed read) is not kept.
    entry.principal.catch(() => {
      if (this.kept.get(token) === entry) this.kept.delete(token);
    });
    if (this.kept.size >= maxKept) this.kept.delete(this.kept.keys().next().value ?? "");
    this.kept.set(token, entry);
    return entry.principal;
  }

  private forgetToken(tokenId: string): void {
    // A read still out may have begun before the change: forget those too (their waiters get what it finds).
    for (const [token, entry] of this.kept) if (entry.tokenId === tokenId || entry.tokenId === undefined) this.kept.delete(token);
  }
}
