/**
 * A Conveyor worker for the catalogue the API serves (the API accepts only
 * those job types), in its own process, for the scenarios that submit
 * through the API. Its `webhook.deliver` handler delivers nothing: it answers
 * at once with the time it started, which is what the latency scenario reads.
 */
import { catalog, defineHandlers } from "@conveyor/jobs";
import { handlers } from "@conveyor/worker";
import { nowMs } from "./catalog";
import { serveBenchWorker } from "./serve-bench-worker";

const benchHandlers = defineHandlers(catalog, {
  ...handlers,
  "webhook.deliver": async () => ({ status: 200, durationMs: 0, responseBody: JSON.stringify({ startedAt: nowMs() }) }),
});
await serveBenchWorker(catalog, benchHandlers);
