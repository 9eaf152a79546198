import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { spawnEmbeddedPostgres } from "./spawn-embedded-postgres";
import { migrate } from "../migrate";
import { withDatabase } from "./database-url";
import "./provided-context";
import { freePort } from "./free-port";

/**
 * Once per test run: find a PostgreSQL (DATABASE_URL, or an embedded one in a
 * temporary folder), and migrate a template database that every test file
 * clones in a few milliseconds instead of migrating its own.
 */
export default async function setup(project: TestProject) {
  let stopEmbedded: (() => Promise<void>) | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = join(await mkdtemp(join(tmpdir(), "conveyor-test-pg-")), "data");
    const server = await spawnEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
    adminUrl = server.url;
    stopEmbedded = async () => {
      await server.stop();
      await rm(join(dataDir, ".."), { recursive: true, force: true });
    };
  }

  const templateDatabase = `conveyor_template_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${templateDatabase} with (force)`);
  await admin.unsafe(`create database ${templateDatabase}`);
  await migrate(withDatabase(adminUrl, templateDatabase));

  project.provide("adminDatabaseUrl", adminUrl);
  project.provide("templateDatabase", templateDatabase);

  return async () => {
    const leftovers = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`conveyor_test_${process.pid}_%`}`;
    for (const { datname } of leftovers) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    await admin.unsafe(`drop database if exists ${templateDatabase} with (force)`);
    await admin.end();
    await stopEmbedded?.();
  };
}
