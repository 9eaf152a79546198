/**
 * The React hooks in Debian's Chromium (`/usr/bin/chromium`), against the real
 * API (on another origin, allowed by CORS) and a spawned worker: the page is a
 * production build (Vite, browser conditions) of the documented example, which
 * also proves the browser entry points load no Node-only module.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, createLogger } from "vite";
import { sql } from "drizzle-orm";
import { createToken } from "@conveyor/db";
import { waitFor } from "@conveyor/db/testing";
import { createConveyorClient, type ConveyorClient } from "./index";
import { documentOf, startTestStack } from "./testing/stack";

const chromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"];
const fixtureRoot = fileURLToPath(new URL("./testing/browser/", import.meta.url));
const outDir = await mkdtemp(join(tmpdir(), "conveyor-client-browser-"));

// The page's server first: the API must know the page's origin to allow it.
const pageServer: Server = createServer((request, response) => {
  const path = new URL(request.url ?? "/", "http://page").pathname;
  if (path === "/favicon.ico") return void response.writeHead(204).end();
  const file = join(outDir, path === "/" ? "index.html" : path);
  readFile(file).then(
    (body) => response.writeHead(200, { "content-type": contentTypes[extname(file)] ?? "application/octet-stream" }).end(body),
    () => response.writeHead(404).end(),
  );
});
const contentTypes: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
await new Promise<void>((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
const pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;

const stack = await startTestStack({ corsOrigins: [pageOrigin] });
const buildWarnings: string[] = [];
let bundle = "";
let browser: Browser;
let token: string;
let conveyor: ConveyorClient;

beforeAll(async () => {
  const logger = createLogger("warn");
  logger.warn = (message) => void buildWarnings.push(message);
  logger.warnOnce = (message) => void buildWarnings.push(message);
  await build({ configFile: false, root: fixtureRoot, logLevel: "warn", customLogger: logger, build: { outDir, emptyOutDir: true, minify: false } });
  const assets = await readdir(join(outDir, "assets"));
  bundle = (await Promise.all(assets.map((name) => readFile(join(outDir, "assets", name), "utf8")))).join("\n");
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumFlags });
  token = await stack.token({ ownerId: "browser", role: "user" });
  conveyor = createConveyorClient({ url: stack.api.url, token });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pageServer.close(resolve));
  await rm(outDir, { recursive: true, force: true });
});

/** Open the page; console errors and uncaught exceptions are collected. */
async function openPage(hash: Record<string, string>): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${pageOrigin}/#${new URLSearchParams({ url: stack.api.url, ...hash })}`);
  return { page, errors };
}

describe("@conveyor/client in a browser", () => {
  it("bundles for the browser without Node-only modules", () => {
    // Rolldown notes that react-query's "use client" directives are not kept; nothing else may be said.
    expect(buildWarnings.filter((warning) => !warning.includes("[MODULE_LEVEL_DIRECTIVE]"))).toEqual([]);
    expect(bundle).not.toContain("undici");
    expect(bundle).not.toContain("__vite-browser-external");
    expect(bundle).toContain("jobs.events");
  });

  it("runs the documented React example: useSubmit, useRun and useRuns", async () => {
    const { page, errors } = await openPage({ token });
    try {
      await page.getByRole("button", { name: "Analyse" }).click();
      await page.getByText(/^Reading ease -?\d/).waitFor({ timeout: 20_000 });
      expect(await page.locator("progress").getAttribute("value")).toBe("100");
      // The list reloaded for the new run and followed it to its end.
      await page.getByText("Hello, world.…: completed").waitFor({ timeout: 10_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("useRun follows a run's progress live over WebSocket, never winding back", async () => {
    // Keep the worker's 4 slots busy with webhooks its receiver holds, so the watched run waits.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const receiver = createServer((request, response) => {
      request.resume();
      void released.then(() => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
    const { token: watchToken, info } = await createToken(stack.db, { ownerId: "browser", role: "user", maxSubscriptions: 100 });
    try {
      const blockers = await conveyor.submitMany(Array.from({ length: 4 }, (_, i) => ({ type: "webhook.deliver" as const, input: { url: hook, payload: { i } } })));
      await waitFor("the worker's slots to fill", async () => ((await conveyor.list({ status: "running", type: "webhook.deliver" })).items.length === 4 ? true : undefined));
      const run = await conveyor.submit("document.analyze", { text: documentOf(60_000) });

      const { page, errors } = await openPage({ token: watchToken, watch: run.id });
      try {
        await page.getByTestId("watched").getByText("queued 0").waitFor({ timeout: 15_000 });
        // Its subscription is open once the API holds a lease for the page's token.
        await waitFor("the page's subscription", async () => {
          const [row] = await stack.db.execute<{ open: number }>(sql`select count(*)::int as open from conveyor.subscription_leases where token_id = ${info.id}`);
          return row && row.open > 0 ? true : undefined;
        });
        release();
        await page.getByTestId("watched").getByText("completed 100").waitFor({ timeout: 20_000 });
        const states = await page.evaluate(() => (globalThis as { watchedStates?: string[] }).watchedStates ?? []);
        const percents = states.flatMap((state) => (/^running (\d+)$/.exec(state) ? [Number(state.split(" ")[1])] : []));
        expect(percents.some((percent) => percent > 0 && percent < 100)).toBe(true);
        expect(percents).toEqual([...percents].sort((a, b) => a - b));
        expect(states.at(-1)).toBe("completed 100");
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
      await Promise.all(blockers.map((blocker) => blocker.result()));
    } finally {
      release();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});
