import { catalog, defineHandlers } from "@conveyor/jobs";
import { analyzeDocument } from "./document-analyze";
import { pruneFinished } from "./prune-runs";
import { deliverWebhook } from "./webhook-deliver";

/** One handler per job type of the catalogue; a missing one is a compile error. */
export const handlers = defineHandlers(catalog, {
  "document.analyze": analyzeDocument,
  "webhook.deliver": deliverWebhook,
  "runs.prune": pruneFinished,
});
