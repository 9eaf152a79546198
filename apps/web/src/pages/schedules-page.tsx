import { useMemo } from "react";
import { trpc } from "../lib/trpc";
import { useNow } from "../lib/operators/use-now";
import { useRefreshOnRunEvents } from "../lib/operators/use-refresh-on-run-events";
import { Loading, LoadFailed } from "../components/operators/load-state";
import { ScheduleCard } from "../components/operators/schedule-card";

/**
 * The cron schedules of the catalogue (admins): when each fires next (a
 * countdown ticking in the page) and its last runs, reloaded when runs of
 * a scheduled job type change.
 */
export function SchedulesPage() {
  const utils = trpc.useUtils();
  const schedules = trpc.schedules.list.useQuery();
  const now = useNow(1000);
  const scheduledTypes = useMemo(() => new Set(schedules.data?.map((schedule) => schedule.type)), [schedules.data]);
  useRefreshOnRunEvents(() => void utils.schedules.list.invalidate(), { matches: (event) => scheduledTypes.has(event.type) });

  return (
    <>
      <section className="card ops-section" aria-labelledby="schedules-title">
        <h1 id="schedules-title">Schedules</h1>
        <p className="muted">Each firing is an ordinary run of its job type. Cron expressions are read in UTC; times below are yours.</p>
        {schedules.isPending && <Loading what="schedules" />}
        {schedules.error && <LoadFailed what="schedules" message={schedules.error.message} onRetry={() => void schedules.refetch()} />}
        {schedules.data?.length === 0 && <p className="muted">No job type declares a schedule.</p>}
      </section>
      {schedules.data?.map((schedule) => (
        <ScheduleCard key={schedule.name} schedule={schedule} now={now} />
      ))}
    </>
  );
}
