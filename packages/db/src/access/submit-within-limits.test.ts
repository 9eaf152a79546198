import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineCatalog, defineJob } from "@conveyor/jobs";
import { createTestDatabase } from "../testing";
import { prepareSubmission } from "../queries/prepare-submission";
import { defaultLimits } from "./limits";
import { submitWithinLimits } from "./submit-within-limits";
import { authenticateToken, createToken } from "./tokens";

const flaky = defineJob({
  name: "test.flaky-host",
  description: "Runs on hosts that get killed",
  input: z.object({ n: z.number() }),
  output: z.object({}),
  progress: z.object({}),
  defaults: { maxAttempts: 2, maxLostAttempts: 9, timeoutMs: 4_000 },
});
const catalog = defineCatalog([flaky]);
const { db } = await createTestDatabase();

describe("submits through the API's batched statement", () => {
  it("store the contract's defaults as a direct submit does, the lost-attempt budget included", async () => {
    const principal = await authenticateToken(db, (await createToken(db, { ownerId: "dana" })).token);
    const prepared = prepareSubmission(catalog, { type: "test.flaky-host", input: { n: 1 }, ownerId: "dana" });
    const [outcome] = await submitWithinLimits(db.$client, [{ principal, prepared: [prepared] }], defaultLimits);
    if (!outcome?.ok) throw new Error("refused");
    const [row] = await db.$client`
      select max_attempts as "maxAttempts", max_lost_attempts as "maxLostAttempts", timeout_ms as "timeoutMs", owner_id as "ownerId"
        from conveyor.runs where id = ${prepared.row.id}`;
    expect(row).toEqual({ maxAttempts: 2, maxLostAttempts: 9, timeoutMs: 4_000, ownerId: "dana" });
  });
});
