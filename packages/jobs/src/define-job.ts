import { z } from "zod";
import { backoffSchema, defaultBackoff, type Backoff, type BackoffConfig } from "./backoff";
import { checkSchedules, type Schedule, type ScheduleConfig } from "./schedule";
import { sensitivePathsOf } from "./sensitive";

/** How urgently a run should start, relative to the other waiting runs of its queue. */
export const priorities = ["low", "normal", "high", "critical"] as const;
export type Priority = (typeof priorities)[number];
export const prioritySchema = z.enum(priorities);

/**
 * graphile-worker starts jobs with a LOWER priority number first; this maps
 * our names onto its numbers, leaving room in between for later levels.
 */
export const graphilePriority: Record<Priority, number> = {
  critical: -20,
  high: -10,
  normal: 0,
  low: 10,
};

/** Defaults a job type declares once; `jobs.submit` may override some per run. */
export interface JobDefaults {
  /** Attempts before the run fails for good (default: 3). */
  maxAttempts: number;
  /**
   * Attempts a run may lose to its worker dying (SIGKILL, out of memory, a lost host) before it
   * fails (default: 3). A lost attempt is retried at once, without the backoff, and does not count
   * against maxAttempts; this budget stops a run whose handler kills every worker it runs on.
   */
  maxLostAttempts: number;
  /** How long one attempt may run before its signal aborts (default: 10 minutes). */
  timeoutMs: number;
  /** Start order among waiting runs (default: "normal"). */
  priority: Priority;
  /**
   * The lane the run waits in (default: "default", which runs as many at once
   * as the workers allow). Any other queue runs ONE run at a time across all
   * workers, in priority order, like a sequential in-memory processor.
   */
  queue: string;
  /**
   * How many runs of a named queue may run at once, across all workers
   * (default: 1, sequential). Job types that share a queue must agree.
   */
  queueConcurrency: number;
  /** The wait before each next attempt (default: exponential 5 s, 25 s, 125 s…, capped at 1 hour). */
  backoff: Backoff;
  /**
   * How long finished runs (and their events) are kept, by outcome (default:
   * completed and cancelled 7 days, failed 30 days). Unfinished runs are never pruned.
   */
  retention: Retention;
  /**
   * The largest input a submission may carry, measured as JSON (UTF-8 bytes)
   * (default: 1 MiB; at most 64 MiB).
   */
  maxInputBytes: number;
}

export interface Retention {
  completedMs: number;
  failedMs: number;
  cancelledMs: number;
  /** Also keep at most this many finished runs of the type, newest first (default: no limit). */
  keepAtMost?: number;
}

const day = 24 * 60 * 60 * 1000;

export const defaultJobDefaults: JobDefaults = {
  maxAttempts: 3,
  maxLostAttempts: 3,
  timeoutMs: 10 * 60 * 1000,
  priority: "normal",
  queue: "default",
  queueConcurrency: 1,
  backoff: defaultBackoff,
  retention: { completedMs: 7 * day, failedMs: 30 * day, cancelledMs: 7 * day },
  maxInputBytes: 1_048_576,
};

/** What a job type's author writes: the name, the three schemas and any defaults that differ. */
export interface JobDefinitionConfig<
  Name extends string,
  Input extends z.ZodType,
  Output extends z.ZodType,
  Progress extends z.ZodType,
> {
  /** Stable identifier, e.g. "document.analyze"; it is stored with every run. */
  name: Name;
  /** One sentence for people choosing a job type in the web app and the docs. */
  description: string;
  input: Input;
  output: Output;
  /** Shape of the `data` a handler may attach to a progress report. */
  progress: Progress;
  defaults?: Partial<Omit<JobDefaults, "backoff" | "retention">> & { backoff?: BackoffConfig; retention?: Partial<Retention> };
  /**
   * A short human label for a run, shown in lists (default: the job type's
   * name). Lists never carry inputs, which may be megabytes.
   */
  label?: (input: z.output<Input>) => string;
  /** Cron schedules: each firing submits a run of this type with the schedule's input. */
  schedules?: readonly ScheduleConfig<z.input<Input>>[];
  /**
   * At most `max` runs start per `perMs` (fixed windows), across all workers;
   * with `key`, per value of the key (e.g. per host or per user). A run held
   * back waits as `scheduled` until the next window, without spending an attempt.
   */
  rateLimit?: RateLimitConfig<z.output<Input>>;
}

export interface RateLimitConfig<Input> {
  max: number;
  perMs: number;
  key?: (input: Input) => string;
}

/** A job type: its schemas and its complete defaults. */
export interface JobDefinition<
  Name extends string = string,
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
  Progress extends z.ZodType = z.ZodType,
> {
  readonly name: Name;
  readonly description: string;
  readonly input: Input;
  readonly output: Output;
  readonly progress: Progress;
  readonly defaults: JobDefaults;
  readonly label: (input: z.output<Input>) => string;
  readonly schedules: readonly Schedule[];
  readonly rateLimit: RateLimit | null;
  /**
   * Key paths of the input fields marked with `sensitive()`, e.g.
   * `[["secret"], ["auth", "token"]]`: kept out of the stored input.
   */
  readonly sensitivePaths: readonly (readonly string[])[];
}

/** A rate limit as the worker applies it: the key function takes the parsed input. */
export interface RateLimit {
  readonly max: number;
  readonly perMs: number;
  readonly key: (input: unknown) => string;
}

export type AnyJobDefinition = JobDefinition<string, z.ZodType, z.ZodType, z.ZodType>;

/** What a caller passes when submitting (before zod applies defaults and transforms). */
export type JobInput<J extends AnyJobDefinition> = z.input<J["input"]>;
/** What the handler receives (after parsing). */
export type ParsedJobInput<J extends AnyJobDefinition> = z.output<J["input"]>;
/** What the handler returns and what `jobs.get` shows as `output`. */
export type JobOutput<J extends AnyJobDefinition> = z.output<J["output"]>;
/** The `data` of a progress report. */
export type JobProgressData<J extends AnyJobDefinition> = z.output<J["progress"]>;

/**
 * Declare a job type once; everything downstream (submit, handler, progress,
 * result, API and web app) takes its types from this value.
 *
 * @example
 * export const resizeImage = defineJob({
 *   name: "image.resize",
 *   description: "Resize an image to a width",
 *   input: z.object({ url: z.url(), width: z.number().int().positive() }),
 *   output: z.object({ url: z.url() }),
 *   progress: z.object({}),
 *   defaults: { timeoutMs: 60_000 },
 * });
 */
export function defineJob<
  Name extends string,
  Input extends z.ZodType,
  Output extends z.ZodType,
  Progress extends z.ZodType,
>(
  config: JobDefinitionConfig<Name, Input, Output, Progress>,
): JobDefinition<Name, Input, Output, Progress> {
  const defaults = {
    ...defaultJobDefaults,
    ...config.defaults,
    retention: { ...defaultJobDefaults.retention, ...config.defaults?.retention },
  };
  const checked = jobDefaultsSchema.safeParse(defaults);
  if (!checked.success) {
    throw new Error(`defineJob(${config.name}): invalid defaults: ${z.prettifyError(checked.error)}`);
  }
  return Object.freeze({
    name: config.name,
    description: config.description,
    input: config.input,
    output: config.output,
    progress: config.progress,
    defaults: checked.data,
    label: config.label ?? (() => config.name),
    schedules: Object.freeze(checkSchedules(config.name, config.input, config.schedules ?? [])),
    rateLimit: config.rateLimit ? checkRateLimit(config.name, config.input, config.rateLimit) : null,
    sensitivePaths: checkSensitivePaths(config.name, config.input),
  });
}

function checkSensitivePaths(name: string, input: z.ZodType): readonly (readonly string[])[] {
  try {
    return Object.freeze(sensitivePathsOf(input).map((path) => Object.freeze(path)));
  } catch (error) {
    // A contract whose secrets could not be split out must not load at all, rather than store them.
    throw new Error(`defineJob(${name}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function checkRateLimit<Input extends z.ZodType>(name: string, input: Input, limit: RateLimitConfig<z.output<Input>>): RateLimit {
  const checked = z
    .object({ max: z.number().int().min(1).max(1_000_000), perMs: z.number().int().min(100).max(24 * 60 * 60 * 1000) })
    .safeParse({ max: limit.max, perMs: limit.perMs });
  if (!checked.success) throw new Error(`defineJob(${name}): invalid rateLimit: ${z.prettifyError(checked.error)}`);
  const keyOf = limit.key;
  return Object.freeze({
    ...checked.data,
    // The worker calls this with input it has just parsed with this contract's schema.
    key: (raw: unknown) => (keyOf ? keyOf(z.parse(input, raw)) : ""),
  });
}

export const queueNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, '.', '_' or '-'");

const jobDefaultsSchema = z.object({
  maxAttempts: z.number().int().min(1).max(100),
  maxLostAttempts: z.number().int().min(1).max(100),
  timeoutMs: z.number().int().min(100).max(7 * 24 * 60 * 60 * 1000),
  priority: prioritySchema,
  queue: queueNameSchema,
  queueConcurrency: z.number().int().min(1).max(1_000),
  backoff: backoffSchema,
  retention: z
    .object({
      completedMs: z.number().int().min(60_000).max(3650 * day),
      failedMs: z.number().int().min(60_000).max(3650 * day),
      cancelledMs: z.number().int().min(60_000).max(3650 * day),
      keepAtMost: z.number().int().min(1).max(1_000_000_000).optional(),
    })
    .strict(),
  maxInputBytes: z.number().int().min(1).max(64 * 1024 * 1024),
});
