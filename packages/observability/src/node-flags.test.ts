import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { productionEnvironment, productionEnvironmentText, productionNodeFlags } from "./node-flags";

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");
const flags = productionNodeFlags.join(" ");

// Every production start passes the same heap flags and environment, so what the bench measures is what is deployed.
describe.each(["api", "worker"])("the %s's production start", (app) => {
  it("pnpm start runs node with the heap flags and the environment", () => {
    const manifest: { scripts: Record<string, string> } = JSON.parse(read(`apps/${app}/package.json`));
    expect(manifest.scripts.start).toBe(`NODE_ENV=production ${productionEnvironmentText} node ${flags} dist/main.js`);
  });

  it("the Docker image runs node with the heap flags and the environment", () => {
    const lines = read(`apps/${app}/Dockerfile`).split("\n");
    expect(lines.find((line) => line.startsWith("CMD "))).toBe(`CMD ${JSON.stringify(["node", ...productionNodeFlags, "dist/main.js"]).replaceAll(",", ", ")}`);
    for (const [name, value] of Object.entries(productionEnvironment)) expect(lines).toContain(`ENV ${name}=${value}`);
  });

  it("the README's start command says the same", () => {
    expect(read("README.md")).toContain(`\`NODE_ENV=production ${productionEnvironmentText} node ${flags} dist/main.js\` in \`apps/${app}\``);
  });
});

it("the README's systemd unit starts the worker with the heap flags and the environment", () => {
  const readme = read("README.md");
  expect(readme).toContain(`ExecStart=/usr/bin/node ${flags} dist/main.js`);
  for (const [name, value] of Object.entries(productionEnvironment)) expect(readme).toContain(`Environment=${name}=${value}`);
});
