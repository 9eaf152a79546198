import type { RouterInputs, RouterOutputs } from "@conveyor/api";
import type {
  Catalog,
  ConveyorCatalog,
  JobInput,
  JobOutput,
  JobProgressData,
  JobType,
  ParsedJobInput,
  RunEventKind,
  SubmitOptions,
} from "@conveyor/jobs";

/** What every run has, whatever its job type (dates are ISO 8601 strings, as JSON carries them). */
type RunFields = Omit<RouterOutputs["jobs"]["get"], "type" | "input" | "output" | "progress">;
type SummaryFields = Omit<RouterOutputs["jobs"]["list"]["items"][number], "type" | "progress">;

/** The last progress a run reported, its `data` typed by the contract. */
export interface RunProgress<K extends JobType<C>, C extends Catalog = ConveyorCatalog> {
  percent: number;
  message: string | null;
  data: JobProgressData<C[K]> | null;
}

/**
 * A run as `jobs.get` returns it. For a union of job types (`Run<JobType<C>>`),
 * narrowing on `type` gives that contract's input, output and progress data.
 */
export type Run<K extends JobType<C>, C extends Catalog = ConveyorCatalog> = {
  [T in K]: RunFields & { type: T; input: ParsedJobInput<C[T]>; output: JobOutput<C[T]> | null; progress: RunProgress<T, C> };
}[K];

/** A run as `jobs.list` returns it: without input and output, which may be megabytes. */
export type RunSummary<K extends JobType<C>, C extends Catalog = ConveyorCatalog> = {
  [T in K]: SummaryFields & { type: T; progress: RunProgress<T, C> };
}[K];

/** One page of `jobs.list`, newest first; pass `nextCursor` as `cursor` for the next. */
export interface RunPage<C extends Catalog = ConveyorCatalog> {
  items: RunSummary<JobType<C>, C>[];
  nextCursor: string | null;
}

/** The filter of `jobs.list`: status, type, queue, search, limit (default: 20), cursor. */
export type RunFilter = Exclude<RouterInputs["jobs"]["list"], void>;

/** One event as `jobs.events` delivers it (the API's `RunEventMessage` as JSON carries it), untyped by job type. */
export type WireRunEvent = RouterOutputs["jobs"]["events"] extends AsyncIterable<{ id: string; data: infer E }> ? E : never;

type EventFields = Omit<WireRunEvent, "type" | "kind" | "progress" | "log">;
type LogLine = NonNullable<WireRunEvent["log"]>;

/**
 * One event of a run: `queued`, `started`, `progress` (with `progress`),
 * `log` (with `log`), `retrying` and `failed` (with `error` and `attempt`),
 * `completed`, `cancelled`. `status` is the run's status after the event;
 * `id` grows with every event of the run.
 */
export type RunEvent<K extends JobType<C>, C extends Catalog = ConveyorCatalog> = {
  [T in K]:
    | (EventFields & { type: T; kind: Exclude<RunEventKind, "progress" | "log">; progress?: undefined; log?: undefined })
    | (EventFields & { type: T; kind: "progress"; progress: RunProgress<T, C>; log?: undefined })
    | (EventFields & { type: T; kind: "log"; log: LogLine; progress?: undefined });
}[K];

/** One item of `submitMany`: `input` typed by the contract that `type` names. */
export type SubmitItem<C extends Catalog = ConveyorCatalog> = {
  [K in JobType<C>]: { type: K; input: JobInput<C[K]>; options?: SubmitOptions };
}[JobType<C>];
