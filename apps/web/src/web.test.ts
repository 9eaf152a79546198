import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@conveyor/db/testing";
import { startApiServer, type ApiServer } from "@conveyor/api/server";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { freePort } from "@conveyor/db/free-port";

const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const { url: databaseUrl } = await createTestDatabase();
let api: ApiServer;
let worker: SpawnedWorker;
let vite: PreviewServer;
let outDir: string;
let browser: Browser;
let page: Page;
let webUrl: string;

beforeAll(async () => {
  api = await startApiServer({ databaseUrl, port: 0 });
  // vite.config.ts reads where to proxy /trpc from the environment.
  process.env.CONVEYOR_API_URL = new URL(api.url).origin;
  // Serve a production build: the dev server's first-visit dependency optimisation can reload the page mid-test.
  const port = await freePort();
  const configFile = fileURLToPath(new URL("../vite.config.ts", import.meta.url));
  const root = fileURLToPath(new URL("..", import.meta.url));
  outDir = await mkdtemp(join(tmpdir(), "conveyor-web-"));
  await build({ configFile, root, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  vite = await preview({ configFile, root, logLevel: "warn", build: { outDir }, preview: { port, strictPort: true, host: "127.0.0.1" } });
  webUrl = `http://127.0.0.1:${port}/`;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumFlags });
  page = await browser.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
  await worker?.stop();
  await api?.close();
});

/** A ~1 MB document whose word count is known exactly: 6 words a sentence, 5 sentences a paragraph. */
function knownDocument(paragraphs: number): { text: string; words: number } {
  const sentence = "Conveyor analyses documents while people watch.";
  const paragraph = Array.from({ length: 5 }, () => sentence).join(" ");
  return { text: Array.from({ length: paragraphs }, () => paragraph).join("\n\n"), words: paragraphs * 5 * 6 };
}

describe("the web app", () => {
  it("submits a 1 MB file and shows its progress live up to 100%, then the analysis", { timeout: 60_000 }, async () => {
    await page.goto(webUrl);
    // Record every value the run's progress bar shows, as the page renders it.
    await page.evaluate(() => {
      const seen: number[] = [];
      Object.assign(window, { progressSeen: seen });
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="run-detail"] [role="progressbar"]');
        const value = Number(bar?.getAttribute("aria-valuenow"));
        if (bar && seen.at(-1) !== value) seen.push(value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });

    const doc = knownDocument(4_400);
    expect(doc.text.length).toBeGreaterThan(1024 * 1024);
    await page.getByTestId("title-input").fill("Browser test document");
    await page.getByTestId("file-input").setInputFiles({
      name: "report.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(doc.text),
    });
    await page.getByTestId("text-size").getByText("MB").waitFor({ timeout: 10_000 });
    await page.getByTestId("submit-button").click();

    // No worker runs yet, so the page shows the run waiting at 0%; a 1 MB analysis takes well under a
    // second, and starting the worker only now makes sure the page is there to watch it.
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("queued").waitFor({ timeout: 10_000 });
    await detail.locator('[role="progressbar"][aria-valuenow="0"]').waitFor({ timeout: 10_000 });
    worker = await spawnWorker(databaseUrl);

    await detail.getByTestId("run-status").getByText("completed").waitFor({ timeout: 30_000 });
    await detail.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 10_000 });
    await detail.getByTestId("analysis-result").waitFor({ timeout: 10_000 });
    expect(await detail.getByTestId("result-words").textContent()).toBe(doc.words.toLocaleString("en-US"));
    expect(await detail.getByTestId("result-keywords").textContent()).toContain("conveyor");

    // The bar moved in the page, without a reload: from 0 to 100, never going back.
    const seen = await page.evaluate(() => ("progressSeen" in window ? (window.progressSeen as number[]) : []));
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // The list row of the run was updated by the same live subscription.
    const row = page.getByTestId("run-row").filter({ hasText: "Browser test document" });
    await row.getByTestId("run-status").getByText("completed").waitFor({ timeout: 10_000 });
    await row.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 10_000 });
  });

  it("shows the server's validation message by the form", async () => {
    await page.goto(webUrl);
    await page.getByTestId("submit-button").click();
    const error = page.getByTestId("form-error");
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toBe("input.text: the document is empty");
  });
});
