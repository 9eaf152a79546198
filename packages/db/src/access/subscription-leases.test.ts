import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../testing";
import { defaultLimits, openSubscriptionLease, renewSubscriptionLeases } from "./limits";
import { authenticateToken, createToken, revokeToken } from "./tokens";
import { systemViewer } from "./viewer";

const { db } = await createTestDatabase();

async function leaseRows(ids: string[]) {
  return db.$client<{ id: string }[]>`select id from conveyor.subscription_leases where id = any(${ids}::uuid[])`;
}

describe("renewing subscription leases", () => {
  it("writes again a lease cleared while PostgreSQL was away, and ends only the streams of revoked or deleted tokens", async () => {
    const [kept, revoked, deleted] = await Promise.all(["kept", "revoked", "deleted"].map(async (ownerId) => authenticateToken(db, (await createToken(db, { ownerId })).token)));
    if (!kept || !revoked || !deleted) throw new Error("no principals");
    const leases = await Promise.all([kept, kept, revoked, deleted].map(async (principal) => ({ id: await openSubscriptionLease(db, principal, defaultLimits), tokenId: principal.tokenId })));
    // An outage longer than a lease's life: the next opening of the token cleared the expired ones.
    await db.$client`delete from conveyor.subscription_leases where id = ${leases[0]?.id ?? ""}`;
    await revokeToken(db, systemViewer, revoked.tokenId);
    await db.$client`delete from conveyor.api_tokens where id = ${deleted.tokenId}`;

    const ended = await renewSubscriptionLeases(db, leases);
    expect(ended.sort()).toEqual([leases[2]?.id, leases[3]?.id].sort());
    expect((await leaseRows(leases.slice(0, 2).map((lease) => lease.id))).length).toBe(2);
  });
});
