import { readChildren, submitChild, type ChildState, type Database } from "@conveyor/db";
import { currentTraceParent } from "@conveyor/observability";
import type { Catalog, ChildOutcome, ChildRuns } from "@conveyor/jobs";

/** How often a waiting parent looks at its children. */
const childPollMs = 250;

export type ChildRunsFactory = (
  parentId: string,
  reportProgress: (percent: number, message: string) => void,
  signal: AbortSignal,
) => ChildRuns;

/** `ctx.children` of one attempt: children are submitted to the worker's catalogue and linked to the parent. */
export function childRunsFactory(db: Database, catalog: Catalog): ChildRunsFactory {
  return (parentId, reportProgress, signal) => {
    let submitted = 0;
    return {
      // Called inside the parent attempt's span: the child joins that trace.
      submit: (job, input) => submitChild(db, catalog, parentId, submitted++, { type: job.name, input }, currentTraceParent()),
      async waitAll() {
        for (;;) {
          signal.throwIfAborted();
          const children = await readChildren(db.$client, parentId);
          const outcomes = children.flatMap((child) => (isOutcome(child) ? [toOutcome(child)] : []));
          if (outcomes.length === children.length) return outcomes;
          // The parent's progress is its children's average (finished ones count as done).
          const percent = children.reduce((sum, child) => sum + (isOutcome(child) ? 100 : child.percent), 0) / children.length;
          reportProgress(percent, `${outcomes.length} of ${children.length} child runs finished`);
          await pause(childPollMs, signal);
        }
      },
    };
  };
}

function isOutcome(child: ChildState): child is ChildState & { status: ChildOutcome["status"] } {
  return child.status === "completed" || child.status === "failed" || child.status === "cancelled";
}

function toOutcome(child: ChildState & { status: ChildOutcome["status"] }): ChildOutcome {
  return { id: child.id, type: child.type, status: child.status, output: child.output, error: child.error };
}

/** Wait `ms`, or reject as soon as the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
