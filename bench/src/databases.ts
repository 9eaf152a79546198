import postgres from "postgres";
import { migrate } from "@conveyor/db";
import { runMigrations } from "graphile-worker";

/** Each scenario gets a database of its own on the server, dropped afterwards. */
export async function freshDatabase(serverUrl: string, label: string, kind: "conveyor" | "graphile"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (kind === "conveyor") await migrate(url.toString());
  else await runMigrations({ connectionString: url.toString() });
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
