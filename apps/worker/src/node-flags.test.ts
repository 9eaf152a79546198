import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { workerNodeFlags } from "./node-flags";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

// Every production start of the worker passes the same heap flags, so what the bench measures is what is deployed.
describe("the worker's production start", () => {
  const flags = workerNodeFlags.join(" ");

  it("pnpm start runs node with the heap flags", () => {
    const manifest: { scripts: Record<string, string> } = JSON.parse(read("../package.json"));
    expect(manifest.scripts.start).toBe(`NODE_ENV=production node ${flags} dist/main.js`);
  });

  it("the Docker image runs node with the heap flags", () => {
    const cmd = read("../Dockerfile").split("\n").find((line) => line.startsWith("CMD "));
    expect(cmd).toBe(`CMD ${JSON.stringify(["node", ...workerNodeFlags, "dist/main.js"]).replaceAll(",", ", ")}`);
  });

  it("the README's start commands and systemd unit say the same", () => {
    const readme = read("../../../README.md");
    expect(readme).toContain(`ExecStart=/usr/bin/node ${flags} dist/main.js`);
    expect(readme).toContain(`\`NODE_ENV=production node ${flags} dist/main.js\` in \`apps/worker\``);
  });
});
