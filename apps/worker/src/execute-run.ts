import type { FieldIssue, StartedRun } from "@conveyor/db";
import { openRunSecrets, SecretsKeyError, toFieldIssues } from "@conveyor/db";
import { backoffDelayMs, mergeSensitive, PermanentJobError, scrubSecrets, secretStringsOf, type JobContext } from "@conveyor/jobs";
import type { BoundJob } from "./bind-handler";
import { SpanKind } from "@opentelemetry/api";
import { contextFromTraceParent, conveyorTracer, recordFailure, tracingActive } from "@conveyor/observability";
import type { RunStateWriter } from "./run-state-writer";
import { scrubFields, type RunLogger } from "./run-logger";
import { AttemptAbort, RunCancelledError, type RunningAttempts } from "./running-attempts";
import type { ChildRunsFactory } from "./child-runs";

/** Why an attempt's signal aborted; the message becomes the run's error. */
export class AttemptTimeoutError extends Error {
  override readonly name = "AttemptTimeoutError";
  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

export type AttemptOutcome = "completed" | "retrying" | "failed" | "discarded";

/** An attempt whose handler is done: its outcome is being written (it settles once written). */
export interface FinishedAttempt {
  written: Promise<AttemptOutcome>;
}

/** Lines of one attempt kept in its run's history; a handler that logs in a loop cannot flood the table. */
export const maxLogLinesPerAttempt = 500;

/**
 * Run one attempt of a started run: validate the stored input against the
 * current contract, call the handler with its context, validate the result,
 * and hand the outcome to the state writer. A failed attempt with attempts
 * left is scheduled again after the contract's backoff (by the same write).
 * Resolves as soon as the handler is done, so the attempt's slot is freed
 * without waiting for the write; `written` tells what the attempt came to.
 */
export async function executeRun(
  run: StartedRun,
  bound: BoundJob,
  deps: {
    writer: RunStateWriter;
    logger: RunLogger;
    stopSignals: readonly AbortSignal[];
    running: RunningAttempts;
    childRuns: ChildRunsFactory;
    /** Told of every progress report (metrics). */
    onProgress?: () => void;
  },
): Promise<FinishedAttempt> {
  // No tracer provider, no span: even a no-op one costs a context per run.
  if (!tracingActive()) return executeAttempt(run, bound, deps);
  // One span per attempt, a child of the span that submitted the run (its traceparent is stored with
  // the run), so a trace goes from the API's submit to every attempt in whichever worker ran it.
  return conveyorTracer().startActiveSpan(
    `conveyor.attempt ${run.type}`,
    { kind: SpanKind.CONSUMER, attributes: { "conveyor.run_id": run.id, "conveyor.job_type": run.type, "conveyor.attempt": run.attempts } },
    contextFromTraceParent(run.traceParent),
    async (span) => {
      const { written } = await executeAttempt(run, bound, deps);
      // The span ends when the outcome is written (the writer never gives up while the process lives).
      void written.then((outcome) => {
        span.setAttribute("conveyor.outcome", outcome);
        if (outcome === "failed" || outcome === "retrying") recordFailure(span, `attempt ${outcome}`);
        span.end();
      });
      return { written };
    },
  );
}

async function executeAttempt(
  run: StartedRun,
  bound: BoundJob,
  deps: Parameters<typeof executeRun>[2],
): Promise<FinishedAttempt> {
  const { writer, logger } = deps;
  const { job } = bound;
  // Whatever this attempt writes where people can read it (logs, errors, progress messages) is
  // scrubbed of the run's secret values: a handler may echo them without meaning to.
  let runSecrets: Record<string, unknown> | null;
  try {
    runSecrets = openRunSecrets(run);
  } catch (error) {
    if (!(error instanceof SecretsKeyError)) throw error;
    // This worker lacks the key (or the bytes were altered): the attempt fails saying which key, and
    // the retry policy decides whether another attempt (perhaps on a worker with the key) follows.
    logger.forRun(run, (text) => text).warn("cannot open the run's secrets", { error: error.message });
    return failAttempt(run, bound, writer, error.message, false);
  }
  const secrets = secretStringsOf(runSecrets);
  const scrub = (text: string) => (secrets.length > 0 ? scrubSecrets(text, secrets) : text);
  const log = logger.forRun(run, scrub);

  // One abort per attempt, by the timeout, a cancel or a stop signal (through the registry of running
  // attempts: combining signals costs more per run, and runs are many). Its AbortSignal is made only
  // if the handler reads ctx.signal or waits for children.
  const attempt = new AttemptAbort();
  const timer = setTimeout(() => attempt.abort(new AttemptTimeoutError(run.timeoutMs)), run.timeoutMs);
  const untrack = deps.running.add(run.id, attempt, deps.stopSignals);
  const progress: JobContext["progress"] = (percent, message, data) => {
    if (!Number.isFinite(percent)) return;
    deps.onProgress?.();
    const checked = data === undefined ? undefined : job.progress.parse(data);
    writer.reportProgress({
      id: run.id,
      percent: Math.min(100, Math.max(0, percent)),
      message: message == null ? null : scrub(message),
      data: checked ?? null,
    });
  };
  let linesKept = 0;
  const keepLine = (message: string, fields: Record<string, unknown> | undefined) => {
    if (linesKept > maxLogLinesPerAttempt) return;
    linesKept++;
    const line = linesKept > maxLogLinesPerAttempt ? `further lines of attempt ${run.attempts} are not kept (${maxLogLinesPerAttempt} at most)` : message;
    writer.log({
      id: run.id,
      attempt: run.attempts,
      level: linesKept > maxLogLinesPerAttempt ? "warn" : "info",
      message: scrub(line),
      fields: fields && linesKept <= maxLogLinesPerAttempt ? scrubFields(fields, scrub) : null,
      at: new Date().toISOString(),
    });
  };
  let children: JobContext["children"] | undefined;
  const ctx: JobContext = {
    runId: run.id,
    attempt: run.attempts,
    maxAttempts: run.maxAttempts,
    get signal() {
      return attempt.signal;
    },
    progress,
    log: (message, fields) => {
      log.info(message, fields);
      keepLine(message, fields);
    },
    get children() {
      return (children ??= deps.childRuns(run.id, (percent, message) => progress(percent, message), attempt.signal));
    },
  };

  // A queued payload may predate the current contract: the input is validated again.
  const invocation = bound.invoke(mergeSensitive(run.input, runSecrets), ctx);
  if (!invocation.ok) {
    clearTimeout(timer);
    untrack();
    const error = scrub(`input no longer matches the contract: ${describe(invocation.issues)}`);
    return finish(writer.fail({ id: run.id, attempt: run.attempts, error, nextAttemptAt: null }), "failed");
  }

  log.info("attempt started");
  try {
    const output = await attempt.race(invocation.result);
    const checked = job.output.safeParse(output);
    if (!checked.success) {
      const issues = scrub(describe(toFieldIssues(checked.error, "output")));
      // The handler returned something its contract forbids: a bug that retrying will not fix.
      return finish(writer.fail({ id: run.id, attempt: run.attempts, error: `invalid result: ${issues}`, nextAttemptAt: null }), "failed");
    }
    const written = writer.complete({ id: run.id, attempt: run.attempts, output: checked.data }).then((stillRunning) => {
      log.info(stillRunning ? "completed" : "result discarded: the run was no longer running");
      return stillRunning ? ("completed" as const) : ("discarded" as const);
    });
    return { written };
  } catch (caught) {
    if (caught instanceof RunCancelledError) {
      // The cancel is already recorded; nothing of this attempt is kept.
      log.info("cancelled while running");
      writer.forget(run.id);
      return { written: Promise.resolve("discarded") };
    }
    if (deps.stopSignals.some((stop) => stop.aborted)) {
      // The worker is stopping and the grace period is over: not the run's fault, so it is released
      // for another attempt (on this or another worker) even when this was its last one.
      log.warn("released: the worker stopped during the attempt");
      const error = `released: the worker stopped during attempt ${run.attempts}`;
      return finish(writer.fail({ id: run.id, attempt: run.attempts, error, nextAttemptAt: new Date().toISOString(), release: true }), "retrying");
    }
    const message = scrub(errorMessage(caught));
    const final = caught instanceof PermanentJobError || run.attempts >= run.maxAttempts;
    log.warn(final ? "failed" : "attempt failed, will retry", { error: message });
    return failAttempt(run, bound, writer, message, caught instanceof PermanentJobError);
  } finally {
    clearTimeout(timer);
    untrack();
  }
}

/** Fail the attempt: the run is retried after the contract's backoff while it has attempts left, unless `permanent`. */
function failAttempt(run: StartedRun, bound: BoundJob, writer: RunStateWriter, error: string, permanent: boolean): FinishedAttempt {
  const final = permanent || run.attempts >= run.maxAttempts;
  const nextAttemptAt = final ? null : new Date(Date.now() + backoffDelayMs(bound.job.defaults.backoff, run.attempts)).toISOString();
  return finish(writer.fail({ id: run.id, attempt: run.attempts, error, nextAttemptAt }), final ? "failed" : "retrying");
}

/** The attempt's outcome once its write lands: `discarded` when the run was no longer running that attempt. */
function finish(write: Promise<boolean>, outcome: AttemptOutcome): FinishedAttempt {
  return { written: write.then((stillRunning) => (stillRunning ? outcome : "discarded")) };
}

function describe(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
