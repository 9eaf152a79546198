import { expect, it } from "vitest";
import postgres from "postgres";
import { migrate } from "./migrate";
import { createTestDatabase } from "./testing";

/**
 * graphile-worker's add_jobs finds an existing job by its key. A session that
 * first added jobs while the table was nearly empty must still find it through
 * the key's index once thousands of jobs are queued, rather than reading them
 * all on every submit (see planAddJobsAfresh in migrate.ts). The plans inside
 * the function are read from auto_explain, sent to this session as notices.
 */

const { url } = await createTestDatabase();

const addKeyedJobs = (sql: postgres.Sql, prefix: string, count: number) => sql`
  select count(*) from graphile_worker.add_jobs(array(
    select json_populate_record(null::graphile_worker.job_spec,
      json_build_object('identifier', 'webhook.deliver', 'payload', '{}'::json, 'job_key', ${prefix} || g))
    from generate_series(1, ${count}::int) g))`;

async function keyLookupPlan(): Promise<string> {
  const notices: string[] = [];
  const session = postgres(url, { max: 1, onnotice: (notice) => void notices.push(String(notice.message)) });
  try {
    // Plans made while the table holds a handful of jobs (more than five calls: past PostgreSQL's custom-plan trials).
    for (let call = 0; call < 8; call++) await addKeyedJobs(session, `early-${call}-`, 1);
    const other = postgres(url, { max: 1 });
    await addKeyedJobs(other, "backlog-", 20_000);
    await other.end();
    await session.unsafe("load 'auto_explain'");
    await session.unsafe("set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice");
    await addKeyedJobs(session, "late-", 1);
    const plan = notices.find((text) => text.includes("update \"graphile_worker\"._private_jobs"));
    if (!plan) throw new Error(`auto_explain showed no plan of add_jobs' key lookup:\n${notices.join("\n")}`);
    return plan;
  } finally {
    await session.end();
  }
}

it("finds a queued job by its key through the index in a session that began on an empty queue", async () => {
  const plan = await keyLookupPlan();
  expect(plan).not.toMatch(/Seq Scan on _private_jobs/);
  expect(plan).toMatch(/Index Scan using jobs_key_key/);
});

it("keeps doing so after graphile-worker's migrations replace its functions, once migrate runs again", async () => {
  const admin = postgres(url, { max: 1 });
  // What a new graphile-worker version's `create or replace function` does to the setting.
  await admin`alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) reset plan_cache_mode`;
  await migrate(url);
  const [row] = await admin<{ config: string[] | null }[]>`
    select proconfig as config from pg_proc where oid = 'graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)'::regprocedure`;
  await admin.end();
  expect(row?.config).toContain("plan_cache_mode=force_custom_plan");
});
