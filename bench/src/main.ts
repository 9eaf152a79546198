/**
 * `pnpm bench [--smoke] [--only=submit,latency,…]`: run the scenario groups,
 * print a markdown table, write bench-results/latest.json.
 * `pnpm bench --soak`: the 10-minute soak alone (BENCH_SOAK_MINUTES to change
 * it; with --smoke, half a minute), written to bench-results/soak.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { benchGroups, runBench, toMarkdown, type BenchGroup } from "./run-bench";
import type { BenchReport } from "./report";
import { soak, soakRows } from "./scenarios/soak";
import { round } from "./stats";

const serverUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const smoke = process.argv.includes("--smoke");
const log = (line: string) => console.error(`[bench] ${line}`);
const only = parseOnly(process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length));
const resultsDir = fileURLToPath(new URL("../../bench-results", import.meta.url));
await mkdir(resultsDir, { recursive: true });

if (process.argv.includes("--soak")) {
  const minutes = smoke ? 0.5 : Number(process.env.BENCH_SOAK_MINUTES ?? 10);
  const result = await soak(serverUrl, { minutes, subscribers: smoke ? 20 : 200, clients: 20, log });
  const report: BenchReport = {
    machine: { cpus: cpus().length, memoryGb: round(totalmem() / 1024 ** 3), node: process.version },
    smoke,
    groups: ["soak"],
    rows: soakRows(result, minutes),
    notes: result.errors.firstFew.map((error) => `first errors: ${error}`),
  };
  await writeFile(`${resultsDir}/soak.json`, `${JSON.stringify({ ...report, samples: result.samples }, null, 2)}\n`);
  console.log(toMarkdown(report));
  process.exit(0);
}

const report = await runBench({
  serverUrl,
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  smoke,
  only,
  log,
});
// A subset gets a file of its own, so it never overwrites the full run's.
const file = only.length > 0 ? `only-${only.join("-")}.json` : "latest.json";
await writeFile(`${resultsDir}/${file}`, `${JSON.stringify(report, null, 2)}\n`);
console.log(toMarkdown(report));
process.exit(0);

function parseOnly(value: string | undefined): BenchGroup[] {
  if (!value) return [];
  const chosen = value.split(",").map((name) => name.trim()).filter(Boolean);
  const known: readonly string[] = benchGroups;
  const unknown = chosen.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown group(s) ${unknown.join(", ")}; choose from ${benchGroups.join(", ")}`);
  return benchGroups.filter((group) => chosen.includes(group));
}
