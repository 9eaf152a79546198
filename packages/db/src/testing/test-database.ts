import { afterAll, inject } from "vitest";
import postgres from "postgres";
import { closeDatabase, createDatabase, type Database } from "../client";
import { withDatabase } from "./database-url";
import "./provided-context";

export interface TestDatabase {
  url: string;
  db: Database;
}

let counter = 0;

/**
 * A fresh, migrated database for the calling test file (cloned from the run's
 * template), dropped after the file's tests. Files never share a database, so
 * they can run in parallel. `migrated: false` gives an empty database instead.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject("adminDatabaseUrl");
  const template = inject("templateDatabase");
  const parentPid = template.split("_").at(-1);
  const name = `conveyor_test_${parentPid}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;

  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  // A template may be copied by one session at a time; retry while another file copies it.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(options.migrated === false ? `create database ${name}` : `create database ${name} template ${template}`);
      break;
    } catch (error) {
      if (attempt >= 50 || !String(error).includes("is being accessed by other users")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    }
  }

  const url = withDatabase(adminUrl, name);
  const db = createDatabase(url);
  afterAll(async () => {
    await closeDatabase(db);
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return { url, db };
}
