import { useMemo } from "react";
import { attemptErrors } from "../lib/runs/timeline";
import { isFinished, type RunWithData } from "../lib/runs/run-types";
import { useRunEvents } from "../lib/runs/use-run-events";
import { AttemptErrors } from "./runs/attempt-errors";
import { JsonView } from "./runs/json-view";
import { RunActions } from "./runs/run-actions";
import { RunFacts } from "./runs/run-facts";
import { RunHeader } from "./runs/run-header";
import { RunOutput } from "./runs/run-output";
import { RunTimeline } from "./runs/run-timeline";

/**
 * One run: state and progress (kept live by the app's subscription), its
 * particulars, errors by attempt, result, input, and its event timeline (a
 * subscription of its own, for the history). Render it keyed by the run id.
 */
export function RunDetail({ run }: { run: RunWithData }) {
  const { events, live, error } = useRunEvents(run.id, isFinished(run.status));
  const errors = useMemo(() => attemptErrors(events), [events]);
  return (
    <article className="run-detail" data-testid="run-detail">
      <div className="card run-summary">
        <RunHeader run={run} />
        <RunActions run={run} />
        <RunFacts run={run} />
      </div>
      <div className="run-columns">
        <div className="run-column">
          {(run.error || errors.length > 0) && (
            <section className="card run-errors" aria-labelledby="run-errors-title">
              <h3 id="run-errors-title">Errors</h3>
              {run.error && (
                <p className="form-error" data-testid="run-error">
                  {run.error}
                </p>
              )}
              <AttemptErrors errors={errors} />
            </section>
          )}
          <section className="card" aria-labelledby="run-output-title">
            <h3 id="run-output-title">Result</h3>
            <RunOutput run={run} />
          </section>
          <section className="card" aria-labelledby="run-input-title">
            <h3 id="run-input-title">Input</h3>
            <JsonView value={run.input} label="input" testId="run-input" />
          </section>
        </div>
        <RunTimeline events={events} live={live} error={error} />
      </div>
    </article>
  );
}
