import { z } from "zod";
import { defineCatalog, defineJob } from "@conveyor/jobs";

/** The chaos test's one job type: works a little, then records one side effect. */
export const chaosEffect = defineJob({
  name: "chaos.effect",
  description: "Works a little, then records one side effect",
  input: z.object({ workMs: z.number().int().min(0).max(5_000) }),
  output: z.object({ effectId: z.number().int() }),
  progress: z.object({}),
  // Many attempts are lost to SIGKILL in the chaos test (a run can be hit more than once); none may fail the run.
  defaults: { maxAttempts: 25, maxLostAttempts: 25, backoff: { type: "fixed", delayMs: 100 } },
});
export const chaosCatalog = defineCatalog([chaosEffect]);
