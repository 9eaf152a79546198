/**
 * `pnpm bench [--smoke] [--only=submit,latency,…]`: run the scenario groups,
 * print a markdown table, write bench-results/latest.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { benchGroups, runBench, toMarkdown, type BenchGroup } from "./run-bench";

const only = parseOnly(process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length));
const report = await runBench({
  serverUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  smoke: process.argv.includes("--smoke"),
  only,
  log: (line) => console.error(`[bench] ${line}`),
});
const resultsDir = fileURLToPath(new URL("../../bench-results", import.meta.url));
await mkdir(resultsDir, { recursive: true });
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
