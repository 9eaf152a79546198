import { useId } from "react";
import { describeThroughput, summariseThroughput, type ThroughputMinute } from "../../lib/operators/throughput";

const slotWidth = 10;
const barWidth = 8;
const chartHeight = 100;

function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

/**
 * Runs finished per minute over the last hour: an inline SVG of stacked bars
 * (completed below, failed above), described in words for screen readers,
 * with the figures per minute in a table for anyone who wants them.
 * Its size is fixed, so live updates never move the page.
 */
export function ThroughputChart({ minutes }: { minutes: readonly ThroughputMinute[] }) {
  const id = useId();
  const summary = summariseThroughput(minutes);
  const description = describeThroughput(summary, clockTime);
  const scale = (count: number) => (count / summary.scaleMax) * chartHeight;
  const busy = minutes.filter((minute) => minute.completed + minute.failed > 0);
  return (
    <figure className="ops-chart" data-testid="throughput-chart">
      <div className="ops-chart-frame">
        <span className="ops-chart-max" aria-hidden="true">
          {summary.scaleMax}/min
        </span>
        <svg
          viewBox={`0 0 ${Math.max(1, minutes.length) * slotWidth} ${chartHeight}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-description`}
        >
          <title id={`${id}-title`}>Runs finished per minute, last hour</title>
          {minutes.map((minute, index) => {
            const completed = scale(minute.completed);
            const failed = scale(minute.failed);
            const x = index * slotWidth + (slotWidth - barWidth) / 2;
            return (
              <g key={minute.minute}>
                <title>{`${clockTime(minute.minute)}: ${minute.completed} completed, ${minute.failed} failed`}</title>
                {completed > 0 && <rect className="ops-bar-completed" x={x} y={chartHeight - completed} width={barWidth} height={completed} />}
                {failed > 0 && <rect className="ops-bar-failed" x={x} y={chartHeight - completed - failed} width={barWidth} height={failed} />}
              </g>
            );
          })}
        </svg>
        <div className="ops-chart-axis" aria-hidden="true">
          <span>{minutes[0] ? clockTime(minutes[0].minute) : ""}</span>
          <span>now</span>
        </div>
      </div>
      <figcaption id={`${id}-description`} data-testid="throughput-summary">
        {description}{" "}
        <span className="ops-legend" aria-hidden="true">
          <span className="ops-swatch ops-swatch-completed" /> completed <span className="ops-swatch ops-swatch-failed" /> failed
        </span>
      </figcaption>
      {busy.length > 0 && (
        <details className="ops-chart-table">
          <summary>Figures per minute</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Minute</th>
                <th scope="col">Completed</th>
                <th scope="col">Failed</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((minute) => (
                <tr key={minute.minute}>
                  <th scope="row">{clockTime(minute.minute)}</th>
                  <td>{minute.completed}</td>
                  <td>{minute.failed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
