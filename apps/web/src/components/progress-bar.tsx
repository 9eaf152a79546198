interface ProgressBarProps {
  percent: number;
  status: string;
  label?: string;
}

export function ProgressBar({ percent, status, label }: ProgressBarProps) {
  const value = Math.round(Math.min(100, Math.max(0, percent)));
  return (
    <div
      className={`progress progress-${status}`}
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-label={label ?? "progress"}
      data-testid="progress-bar"
    >
      <div className="progress-fill" style={{ width: `${value}%` }} />
      <span className="progress-text">{value}%</span>
    </div>
  );
}
