/**
 * Conveyor's job contracts.
 *
 * Glossary:
 * - job type (contract): a name with zod schemas for input, output and
 *   progress data, and defaults (attempts, timeout, priority, queue).
 * - run: one submission of a job type, with its own id, status, progress,
 *   attempts, result or error. A run is what users see.
 * - event: one change in a run's life (queued, started, progress, retrying,
 *   completed, failed, cancelled), with an increasing id to resume a stream.
 * - queue: a named lane that runs wait in.
 * - worker: a process that executes runs; many may share one database.
 */
export * from "./define-job";
export * from "./catalog";
export * from "./handler";
export * from "./run";
export * from "./sensitive";
export { documentAnalyze, maxDocumentLength, analysisStages } from "./jobs/document-analyze";
export { webhookDeliver } from "./jobs/webhook-deliver";
export { pruneFinishedRuns } from "./jobs/prune-runs";

import { defineCatalog } from "./catalog";
import { documentAnalyze } from "./jobs/document-analyze";
import { pruneFinishedRuns } from "./jobs/prune-runs";
import { webhookDeliver } from "./jobs/webhook-deliver";

/** Every job type Conveyor runs. Add a contract file under jobs/ and list it here. */
export const catalog = defineCatalog([documentAnalyze, webhookDeliver, pruneFinishedRuns]);
export type ConveyorCatalog = typeof catalog;

export * from "./backoff";
export * from "./schedule";
