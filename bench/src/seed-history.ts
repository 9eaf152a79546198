import postgres from "postgres";

/**
 * Fill a fresh Conveyor database with `count` finished runs of the bench
 * catalogue and their three events each (queued, started, completed or
 * failed), as years of use would leave them: finished_at spread evenly over
 * the last `spreadDays` (so with 8 days, a day's worth, ~1/8, is older than the
 * default 7-day retention), 1 in 10 a `bench.ticker`, 1 in 20 failed.
 * One insert per table. The runs' insert fires their triggers (whatever
 * the schema keeps in step with runs, such as counts, stays true); the
 * events' insert skips theirs (session_replication_role = replica): they
 * only announce new events, to nobody here, and check the foreign key of
 * events whose runs were just written.
 */
export async function seedFinishedRuns(databaseUrl: string, count: number, spreadDays = 8): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // Oldest first, so ids and physical order grow with time as they would have.
    await sql`
      insert into conveyor.runs (type, queue, status, input, output, error, attempts, max_attempts, timeout_ms,
                                 owner_id, created_at, run_at, started_at, finished_at, updated_at)
      select case when n % 10 = 0 then 'bench.ticker' else 'bench.noop' end,
             'default',
             (case when n % 20 = 0 then 'failed' else 'completed' end)::conveyor.run_status,
             case when n % 10 = 0 then jsonb_build_object('ticks', 1, 'intervalMs', 1) else jsonb_build_object('n', n) end,
             case when n % 20 = 0 then null when n % 10 = 0 then '{"ticks": 1}'::jsonb else jsonb_build_object('startedAt', 0) end,
             case when n % 20 = 0 then 'seeded failure' end,
             1, 1, 60000, 'bench',
             t - interval '20 milliseconds', t - interval '20 milliseconds', t - interval '10 milliseconds', t, t
        from (select n, now() - (n::float8 / ${count}) * ${`${spreadDays} days`}::interval as t
                from generate_series(${count}::int, 1, -1) as n) as s`;
    await sql`set session_replication_role = replica`;
    await sql`
      insert into conveyor.run_events (run_id, kind, at, data)
      select r.id, e.kind::conveyor.run_event_kind, e.at, e.data
        from conveyor.runs as r
        cross join lateral (values
          ('queued', r.created_at, null::jsonb),
          ('started', r.started_at, '{"attempt": 1, "workerId": "seed"}'::jsonb),
          (case when r.status = 'failed' then 'failed' else 'completed' end, r.finished_at,
           case when r.status = 'failed' then '{"attempt": 1, "error": "seeded failure"}'::jsonb end)
        ) as e(kind, at, data)`;
    await sql`set session_replication_role = origin`;
    await sql`analyze`;
  } finally {
    await sql.end();
  }
}
