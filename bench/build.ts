/**
 * `pnpm --filter @conveyor/bench build` (`pnpm bench` runs it first): every worker process the
 * bench starts (`src/*worker-process.ts`) bundled by the production build into `dist/`, so the
 * bench measures workers as production runs them, on plain node without a TypeScript loader.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildNodeApp } from "../scripts/build-node-app";

const root = fileURLToPath(new URL(".", import.meta.url));
const entries = readdirSync(new URL("src", import.meta.url))
  .filter((name) => name.endsWith("worker-process.ts"))
  .map((name) => `src/${name}`);
const { files, ms } = await buildNodeApp({ root, entries });
console.log(`built ${files.map((file) => file.slice(root.length)).join(", ")} in ${ms} ms`);
