/**
 * The typed client of a Conveyor API, for Node 20+ and browsers. React hooks
 * are in `@conveyor/client/react`; in-process enqueue for services sharing
 * the database in `@conveyor/client/enqueue`.
 */
export { createConveyorClient, type ConveyorClient, type ConveyorClientOptions, type RunHandles } from "./create-conveyor-client";
export type { RunHandle, RunRef } from "./run-handle";
export type { RunEventsOptions } from "./run-events";
export { RunCancelledError, RunFailedError } from "./errors";
export type { Run, RunEvent, RunFilter, RunPage, RunProgress, RunSummary, SubmitItem } from "./types";
export type { AppRouter, RouterInputs, RouterOutputs } from "@conveyor/api";
export type { ConveyorCatalog, JobInput, JobOutput, JobType, RunStatus, SubmitOptions } from "@conveyor/jobs";
