import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyringFromEnv } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { productionEnvironment, productionNodeFlags } from "@conveyor/observability";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { buildNodeApp } from "../../../scripts/build-node-app";
import { createClient } from "./client";
import { spawnApi, type SpawnedApi } from "./testing/spawn-api";

/**
 * The API and the worker as production runs them: bundled by the same build as `pnpm build`
 * (scripts/build-node-app.ts), started with plain `node <bundle>`, no TypeScript loader in the
 * process. Each bundle is built into a folder of its own inside its package (node finds the
 * external packages in the package's node_modules), so a `dist` in use elsewhere is untouched.
 */

const apiRoot = fileURLToPath(new URL("../", import.meta.url));
const workerRoot = fileURLToPath(new URL("../../worker/", import.meta.url));
const { url: databaseUrl, db } = await createTestDatabase();
const outdirs: string[] = [];
let api: SpawnedApi | undefined;
let worker: SpawnedWorker | undefined;
let cliBundle = "";

async function buildInto(root: string, entries: string[]): Promise<string[]> {
  await mkdir(join(root, "dist"), { recursive: true });
  const outdir = await mkdtemp(join(root, "dist", "production-build-test-"));
  outdirs.push(outdir);
  return (await buildNodeApp({ root, entries, outdir })).files;
}

beforeAll(async () => {
  const [[apiMain, cli], [workerMain]] = await Promise.all([
    buildInto(apiRoot, ["src/main.ts", "src/cli.ts"]),
    buildInto(workerRoot, ["src/main.ts"]),
  ]);
  if (!apiMain || !cli || !workerMain) throw new Error("the build returned fewer bundles than entries");
  cliBundle = cli;
  // An inherited NODE_OPTIONS (say, --import tsx) would put a loader back into the process.
  const plain = { NODE_ENV: "production", NODE_OPTIONS: "" };
  [api, worker] = await Promise.all([spawnApi(databaseUrl, plain, apiMain), spawnWorker(databaseUrl, plain, workerMain)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await Promise.all(outdirs.map((outdir) => rm(outdir, { recursive: true, force: true })));
});

/** The process's arguments (node, then its own options, then the script) and its NODE_OPTIONS. */
async function commandOf(pid: number): Promise<{ argv: string[]; nodeOptions: string | undefined; environment: string[] }> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter(Boolean);
  const environment = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
  const nodeOptions = environment.find((entry) => entry.startsWith("NODE_OPTIONS="))?.slice("NODE_OPTIONS=".length);
  return { argv, nodeOptions, environment };
}

describe("the production build", () => {
  it("runs the API and the worker on plain node, without tsx", async () => {
    for (const child of [api, worker]) {
      if (!child) throw new Error("not started");
      const { argv, nodeOptions, environment } = await commandOf(child.pid);
      // Only node, the production heap flags and the bundle: no --import, no loader.
      expect(argv.slice(0, -1)).toEqual([process.execPath, ...productionNodeFlags]);
      expect(argv.at(-1)).toMatch(/production-build-test-[^/]+\/main\.js$/);
      expect(nodeOptions ?? "").not.toMatch(/tsx/);
      for (const [name, value] of Object.entries(productionEnvironment)) expect(environment).toContain(`${name}=${value}`);
    }
  });

  it("finds its migrations beside the bundle: both report ready (no migration pending)", async () => {
    const workerOps = /"opsUrl":"([^"]+)"/.exec(worker?.output() ?? "")?.[1];
    if (!api || !workerOps) throw new Error(`no API or no worker operations URL:\n${worker?.output()}`);
    const [apiReady, workerReady] = await Promise.all([fetch(new URL("/readyz", api.url)), fetch(new URL("/readyz", workerOps))]);
    expect([apiReady.status, workerReady.status]).toEqual([200, 200]);
  });

  it("runs a job submitted through the API with the tRPC client, with a token from the built CLI", async () => {
    if (!api) throw new Error("not started");
    const { stdout } = await promisify(execFile)(process.execPath, [cliBundle, "token", "create", "--owner", "alice"], {
      env: { ...process.env, DATABASE_URL: databaseUrl, NODE_OPTIONS: "" },
    });
    const client = createClient({ url: api.url, token: stdout.trim() });
    const { id } = await client.jobs.submit.mutate({ type: "document.analyze", input: { text: "Built once. Runs on node.", title: "Build" } });

    const outcome = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        subscription.unsubscribe();
        reject(new Error(`run ${id}: no outcome within 20 s`));
      }, 20_000);
      const subscription = client.jobs.events.subscribe(
        { id },
        {
          onData: ({ data }) => {
            if (data.kind !== "completed" && data.kind !== "failed" && data.kind !== "cancelled") return;
            clearTimeout(timer);
            subscription.unsubscribe();
            resolve(data.kind);
          },
          onError: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        },
      );
    });
    expect(outcome).toBe("completed");
    const run = await client.jobs.get.query({ id });
    if (run.type !== "document.analyze") throw new Error(`unexpected type ${run.type}`);
    expect(run.output?.sentences).toBe(2);
  });

  it("seals a webhook's signing secret at rest, and the built CLI rotates it to a new key", async () => {
    if (!api) throw new Error("not started");
    const cli = (args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(process.execPath, [cliBundle, ...args], { env: { ...process.env, DATABASE_URL: databaseUrl, NODE_OPTIONS: "", ...env } });
    const { stdout: token } = await cli(["token", "create", "--owner", "carol"]);
    const client = createClient({ url: api.url, token: token.trim() });
    const secret = "whsec-never-stored-in-the-clear";
    // Waits an hour: this test is about the stored row, not the delivery.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const { id } = await client.jobs.submit.mutate({ type: "webhook.deliver", input: { url: "https://example.com/hook", payload: { n: 1 }, secret }, options: { runAt } });
    const storedKey = async () => {
      const [row] = await db.$client<{ keyId: string | null; bytes: string }[]>`
        select secrets_key_id as "keyId", encode(sealed_secrets, 'escape') || coalesce(secrets::text, '') as bytes from conveyor.runs where id = ${id}`;
      return row;
    };
    const before = await storedKey();
    expect(before?.keyId).toBe(keyringFromEnv().current?.id);
    expect(before?.bytes).not.toContain("never-stored");

    const { stdout: generated } = await cli(["secrets", "generate-key"]);
    const newKey = generated.trim();
    expect(newKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const { stderr } = await cli(["secrets", "rotate"], { CONVEYOR_SECRETS_KEY: newKey, CONVEYOR_SECRETS_PREVIOUS_KEYS: process.env.CONVEYOR_SECRETS_KEY ?? "" });
    expect(stderr).toMatch(/Sealed with key [0-9a-f]{16}: [1-9]\d* runs re-sealed from a previous key/);
    const newKeyId = keyringFromEnv({ CONVEYOR_SECRETS_KEY: newKey }).current?.id;
    expect((await storedKey())?.keyId).toBe(newKeyId);

    // A rotation that cannot open a run says which key it lacks, and fails.
    const otherKey = (await cli(["secrets", "generate-key"])).stdout.trim();
    const lacking = await cli(["secrets", "rotate"], { CONVEYOR_SECRETS_KEY: otherKey }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(lacking).toMatchObject({ code: 1, stderr: expect.stringContaining(`runs sealed with key ${newKeyId}, which is not configured`) });
  });
});
