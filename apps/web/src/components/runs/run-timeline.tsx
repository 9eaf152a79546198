import { useId, useMemo, useState } from "react";
import { formatClock, formatDuration } from "../../lib/runs/format-time";
import { buildTimeline } from "../../lib/runs/timeline";
import type { RunEvent } from "../../lib/runs/run-types";

interface RunTimelineProps {
  events: RunEvent[];
  live: boolean;
  error: string | null;
}

/** The run's history, then live: each line's time and how long after the one above it came. */
export function RunTimeline({ events, live, error }: RunTimelineProps) {
  const [logsOnly, setLogsOnly] = useState(false);
  const entries = useMemo(() => buildTimeline(events, { logsOnly }), [events, logsOnly]);
  const headingId = useId();
  return (
    <section className="card run-timeline" aria-labelledby={headingId} data-testid="run-timeline">
      <div className="run-section-head">
        <h3 id={headingId}>Timeline</h3>
        <span className={`run-live${live ? " run-live-on" : ""}`}>{live ? "live" : "ended"}</span>
        <label className="run-inline-check">
          <input type="checkbox" checked={logsOnly} onChange={(event) => setLogsOnly(event.target.checked)} data-testid="logs-only" />
          Log lines only
        </label>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {entries.length === 0 ? (
        <p className="muted">{logsOnly ? "The handler has written no log lines." : "Loading the history…"}</p>
      ) : (
        <ol className="run-events">
          {entries.map((entry) => (
            <li key={entry.key} className={`run-event run-event-${entry.kind} run-level-${entry.level}`} data-testid="timeline-entry" data-kind={entry.kind}>
              <time className="run-event-time" dateTime={entry.at}>
                {formatClock(entry.at)}
              </time>
              <span className="run-event-delta muted">{entry.sincePreviousMs === null ? "" : `+${formatDuration(entry.sincePreviousMs)}`}</span>
              <span className="run-event-body">
                {entry.kind === "log" && <span className="run-event-tag">log</span>}
                <span className="run-event-title">{entry.title}</span>
                {entry.reports > 1 && <span className="muted"> · {entry.reports} reports</span>}
                {entry.detail && <span className="run-event-detail">{entry.detail}</span>}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
