import postgres from "postgres";

/**
 * Fill a fresh Conveyor database with `count` finished runs of the bench
 * catalogue and their three events each (queued, started, completed or
 * failed), as years of use would leave them: finished_at spread evenly over
 * the last `spreadDays` (so with 8 days, a day's worth, ~1/8, is older than the
 * default 7-day retention), 1 in 10 a `bench.ticker`, 1 in 20 failed.
 * Ids are time-ordered (UUIDv7), as Conveyor gives them. One insert per table. The runs' insert fires their triggers (whatever
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
      insert into conveyor.runs (id, type, queue, status, input, output, error, attempts, max_attempts, timeout_ms,
                                 owner_id, created_at, run_at, started_at, finished_at, updated_at)
      -- A UUIDv7 of the run's creation time, as prepareSubmission gives (PostgreSQL 15 has no uuidv7()).
      select (lpad(to_hex((extract(epoch from t - interval '20 milliseconds') * 1000)::int8), 12, '0')
              || '7' || substr(md5(n::text), 1, 3) || '8' || substr(md5(n::text), 4, 15))::uuid,
             case when n % 10 = 0 then 'bench.ticker' else 'bench.noop' end,
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
    // Settled, as a database that has held these runs for days is: vacuumed (hint bits and the
    // visibility map set, statistics current, as autovacuum leaves it) and checkpointed, so the
    // measurements after the seed do not pay for its 4,000,000 fresh rows (a checkpoint of the seed's
    // WAL, or the first reads dirtying every page) as if that were the cost of holding them.
    await sql`vacuum (analyze)`;
    // CHECKPOINT needs a superuser or pg_checkpoint (PostgreSQL 15+); without one the seed's checkpoint may fall in the measurement.
    await sql`checkpoint`.catch(() => {});
  } finally {
    await sql.end();
  }
}
