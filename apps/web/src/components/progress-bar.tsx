interface ProgressBarProps {
  percent: number;
  /** The run's status: colours the bar, and a running bar shows it is alive. */
  status: string;
  /** What the bar measures, for screen readers (e.g. "progress of Quarterly report"). */
  label?: string;
}

/**
 * A run's progress. Fixed size, with the percentage inside in tabular digits,
 * so updates never shift anything around it.
 */
export function ProgressBar({ percent, status, label }: ProgressBarProps) {
  const value = Math.round(Math.min(100, Math.max(0, percent)));
  return (
    <div
      className={`progress run-progress progress-${status}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={`${value}%, ${status}`}
      aria-label={label ?? "progress"}
      data-testid="progress-bar"
      data-state={status}
    >
      <div className="progress-fill" style={{ width: `${value}%` }} />
      <span className="progress-text" aria-hidden="true">
        {value}%
      </span>
    </div>
  );
}
