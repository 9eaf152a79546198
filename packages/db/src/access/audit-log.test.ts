import { describe, expect, it } from "vitest";
import { catalog, type AuditAction } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { ForbiddenError, RunStateConflictError } from "../errors";
import { submit } from "../queries/submit";
import { cancelRun, retryFailedRuns, retryRun } from "../queries/run-actions";
import { listAuditLog } from "./audit-log";
import { authenticateToken, createToken, revokeToken } from "./tokens";
import { systemViewer } from "./viewer";

const { db } = await createTestDatabase();
const adminToken = await createToken(db, { ownerId: "ops", role: "admin", name: "ops laptop" });
const admin = await authenticateToken(db, adminToken.token);
const alice = await authenticateToken(db, (await createToken(db, { ownerId: "alice" }, admin)).token);

async function latest(action?: AuditAction) {
  const { entries } = await listAuditLog(db.$client, admin, { action, limit: 1 });
  return entries[0];
}

describe("the audit log", () => {
  it("records a token's creation and revocation with the acting token, once", async () => {
    const { info } = await createToken(db, { ownerId: "bob", role: "user", name: "ci" }, admin);
    expect(await latest("token.created")).toMatchObject({
      action: "token.created",
      ownerId: "ops",
      role: "admin",
      tokenId: admin.tokenId,
      targetId: info.id,
      details: { ownerId: "bob", role: "user", name: "ci", prefix: info.prefix },
    });
    await revokeToken(db, admin, info.id);
    await revokeToken(db, admin, info.id); // already revoked: no second entry
    const revocations = (await listAuditLog(db.$client, admin, { action: "token.revoked" })).entries.filter((entry) => entry.targetId === info.id);
    expect(revocations).toHaveLength(1);
    expect(revocations[0]).toMatchObject({ ownerId: "ops", tokenId: admin.tokenId, details: { ownerId: "bob" } });
  });

  it("records cancels and retries by the user who did them, and nothing for a refused one", async () => {
    const { id } = await submit(db, catalog, { type: "document.analyze", input: { text: "Audit me." }, ownerId: "alice" });
    await cancelRun(db.$client, alice, id);
    expect(await latest("run.cancelled")).toMatchObject({ ownerId: "alice", role: "user", tokenId: alice.tokenId, targetId: id, details: { previousStatus: "queued", childrenCancelled: 0 } });

    const before = (await listAuditLog(db.$client, admin)).entries.length;
    await expect(cancelRun(db.$client, alice, id)).rejects.toBeInstanceOf(RunStateConflictError);
    expect((await listAuditLog(db.$client, admin)).entries.length).toBe(before);

    await retryRun(db.$client, alice, id);
    expect(await latest("run.retried")).toMatchObject({ ownerId: "alice", targetId: id, details: { previousStatus: "cancelled" } });
  });

  it("records a bulk retry as one entry with its filter and count, and none when nothing matched", async () => {
    const ids = await Promise.all([1, 2].map(async (n) => (await submit(db, catalog, { type: "document.analyze", input: { text: `Failed ${n}.` } })).id));
    await db.$client`update conveyor.runs set status = 'failed', finished_at = now() where id = any(${ids}::uuid[])`;
    const { retried } = await retryFailedRuns(db.$client, admin, { type: "document.analyze" });
    expect(retried).toBe(2);
    expect(await latest("runs.retried_failed")).toMatchObject({
      ownerId: "ops",
      targetId: null,
      details: { retried: 2, filter: { type: "document.analyze", limit: 10_000 } },
    });
    const count = (await listAuditLog(db.$client, admin, { action: "runs.retried_failed" })).entries.length;
    await retryFailedRuns(db.$client, admin, { type: "document.analyze" });
    expect((await listAuditLog(db.$client, admin, { action: "runs.retried_failed" })).entries.length).toBe(count);
  });

  it("pages newest first, filters by actor, and is for admins only", async () => {
    const first = await listAuditLog(db.$client, admin, { limit: 2 });
    expect(first.entries).toHaveLength(2);
    const [a, b] = first.entries;
    expect(a && b && a.id > b.id).toBe(true);
    const second = await listAuditLog(db.$client, admin, { limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.entries.every((entry) => entry.id < (b?.id ?? 0))).toBe(true);
    expect((await listAuditLog(db.$client, admin, { actor: "alice" })).entries.every((entry) => entry.ownerId === "alice")).toBe(true);
    expect((await listAuditLog(db.$client, systemViewer, { actor: "alice" })).entries.length).toBeGreaterThan(0);
    await expect(listAuditLog(db.$client, alice)).rejects.toBeInstanceOf(ForbiddenError);
  });
});
