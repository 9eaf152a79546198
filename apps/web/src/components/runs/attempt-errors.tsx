import type { AttemptError } from "../../lib/runs/timeline";
import { formatDateTime } from "../../lib/runs/format-time";

/** Every failed attempt's error, by attempt (from the run's retrying and failed events). */
export function AttemptErrors({ errors }: { errors: AttemptError[] }) {
  if (errors.length === 0) return null;
  return (
    <ol className="run-attempt-errors" data-testid="attempt-errors">
      {errors.map((item) => (
        <li key={item.key} data-testid="attempt-error" data-attempt={item.attempt ?? undefined}>
          <div className="run-attempt-head">
            <strong>{item.attempt === null ? "Attempt" : `Attempt ${item.attempt}`}</strong>
            <span className="muted">
              <time dateTime={item.at}>{formatDateTime(item.at)}</time>
              {item.final ? " · the run failed" : " · retried"}
            </span>
          </div>
          <code className="run-error-text">{item.error}</code>
        </li>
      ))}
    </ol>
  );
}
