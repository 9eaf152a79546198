import { Link } from "wouter";
import type { RouterOutputs } from "@conveyor/api";
import { describeCron } from "../../lib/operators/cron";
import { formatDuration } from "../../lib/operators/format-stats";
import { formatIn } from "../../lib/operators/relative-time";

type Schedule = RouterOutputs["schedules"]["list"][number];

function localTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** One cron schedule: what it runs and when, and how its last runs went. */
export function ScheduleCard({ schedule, now }: { schedule: Schedule; now: number }) {
  const reading = describeCron(schedule.cron);
  return (
    <article className="card ops-schedule" aria-labelledby={`schedule-${schedule.name}`} data-testid="schedule" data-name={schedule.name}>
      <h2 id={`schedule-${schedule.name}`}>{schedule.name}</h2>
      <dl className="ops-schedule-facts">
        <div>
          <dt>Job type</dt>
          <dd data-testid="schedule-type">{schedule.type}</dd>
        </div>
        <div>
          <dt>Cron (UTC)</dt>
          <dd>
            <code data-testid="schedule-cron">{schedule.cron}</code>
            {reading && (
              <span className="ops-cron-reading" data-testid="schedule-cron-reading">
                {reading}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Next firing</dt>
          <dd data-testid="schedule-next">
            {schedule.nextFiring ? (
              <>
                <time dateTime={schedule.nextFiring}>{localTime(schedule.nextFiring)}</time>{" "}
                <span className="muted" data-testid="schedule-next-in">
                  {formatIn(Date.parse(schedule.nextFiring) - now)}
                </span>
              </>
            ) : (
              "never"
            )}
          </dd>
        </div>
        {schedule.backfillMs > 0 && (
          <div>
            <dt>Backfill</dt>
            <dd>firings missed within {formatDuration(schedule.backfillMs)} run when a worker starts</dd>
          </div>
        )}
      </dl>
      <h3>Last runs</h3>
      {schedule.lastRuns.length === 0 ? (
        <p className="muted">No run yet.</p>
      ) : (
        <ul className="ops-last-runs" data-testid="schedule-last-runs">
          {schedule.lastRuns.map((run) => (
            <li key={run.id}>
              <Link href={`/runs/${run.id}`} aria-label={`${run.status} run of ${localTime(run.createdAt)}`}>
                <span className={`badge badge-${run.status}`}>{run.status}</span>
                <span className="muted">{localTime(run.createdAt)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}
