import { createToken, type Database } from "@conveyor/db";

/**
 * An admin token whose limits never get in the way of a measurement (the
 * scenarios measure throughput, not the default limits): admin, because the
 * runs some scenarios watch are submitted in-process and belong to "system".
 */
export async function benchToken(db: Database): Promise<string> {
  const { token } = await createToken(db, {
    ownerId: "bench",
    role: "admin",
    name: "pnpm bench",
    submitRate: 1_000_000,
    submitBurst: 1_000_000,
    maxSubscriptions: 100_000,
    maxUnfinishedRuns: 100_000_000,
  });
  return token;
}
