/** `pnpm bench [--smoke]`: run every scenario, print a markdown table, write bench-results/latest.json. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runBench, toMarkdown } from "./run-bench";

const report = await runBench({
  serverUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  smoke: process.argv.includes("--smoke"),
  log: (line) => console.error(`[bench] ${line}`),
});
const resultsDir = fileURLToPath(new URL("../../bench-results", import.meta.url));
await mkdir(resultsDir, { recursive: true });
await writeFile(`${resultsDir}/latest.json`, `${JSON.stringify(report, null, 2)}\n`);
console.log(toMarkdown(report));
process.exit(0);
