import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from "vite";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createToken, revokeToken } from "@conveyor/db";
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

/** Screenshots for people to look at (git-ignored). */
const artifactsDir = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

/** The headers vite.config.ts sets on both servers, besides the CSP. */
const expectedHeaders = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
const productionCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const { url: databaseUrl, db } = await createTestDatabase();
let api: ApiServer;
let worker: SpawnedWorker;
let vite: PreviewServer;
let devServer: ViteDevServer | undefined;
let outDir: string;
let browser: Browser;
let page: Page;
let webUrl: string;
/** Alice's token: a user, who sees only her own runs. */
let token: string;
/** Content-Security-Policy violations any page reported in its console. */
const cspViolations: string[] = [];

beforeAll(async () => {
  ({ token } = await createToken(db, { ownerId: "alice", role: "user", submitRate: 1000, submitBurst: 1000 }));
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
  page = await newPage();
  await mkdir(artifactsDir, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await devServer?.close();
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

/** A page in a context of its own (its own localStorage), whose CSP violations are recorded. */
async function newPage(): Promise<Page> {
  const created = await browser.newPage();
  created.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) cspViolations.push(message.text());
  });
  return created;
}

/** Sign in through the form, as a person would, and wait for the signed-in app. */
async function signInWithForm(target: Page, value: string): Promise<void> {
  await target.getByLabel("API token").fill(value);
  await target.getByRole("button", { name: "Sign in" }).click();
  await target.getByTestId("session-owner").waitFor({ timeout: 10_000 });
}

function storedToken(target: Page): Promise<string | null> {
  return target.evaluate(() => localStorage.getItem("conveyor.token"));
}

describe("the web app", () => {
  it("refuses a wrong token on the sign-in page with the API's reason, and stores nothing", async () => {
    const visitor = await newPage();
    await visitor.goto(webUrl);
    const input = visitor.getByLabel("API token");
    await input.waitFor({ timeout: 10_000 });
    expect(await input.getAttribute("type")).toBe("password");
    expect(await input.getAttribute("autocomplete")).toBe("off");
    await visitor.screenshot({ path: join(artifactsDir, "sign-in.png"), fullPage: true });

    const alert = visitor.getByRole("alert");
    // Well-formed but never issued, then not even well-formed: each time the API says which.
    await input.fill(`cvy_${"A".repeat(43)}`);
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await alert.getByText("unknown token: it was never issued here").waitFor({ timeout: 10_000 });
    await input.fill("not-a-token");
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await alert.getByText("malformed token: expected 'cvy_' followed by 43 characters").waitFor({ timeout: 10_000 });
    await visitor.screenshot({ path: join(artifactsDir, "sign-in-refused.png"), fullPage: true });

    expect(await visitor.getByTestId("submit-form").count()).toBe(0);
    expect(await visitor.getByTestId("session").count()).toBe(0);
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("submits a 1 MB file and shows its progress live up to 100%, then the analysis", { timeout: 60_000 }, async () => {
    await page.goto(webUrl);
    await signInWithForm(page, token);
    expect(await page.getByTestId("session-owner").textContent()).toBe("alice");
    expect(await page.getByTestId("session-role").textContent()).toBe("user");
    expect(await storedToken(page)).toBe(token);

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
    // Signed in by the token stored on the previous visit.
    await page.goto(webUrl);
    await page.getByTestId("submit-button").click();
    const error = page.getByTestId("form-error");
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toBe("input.text: the document is empty");
  });

  it("shows markup in a run's title as literal text", async () => {
    const title = `<img src=x onerror="window.__xss=1">`;
    await page.goto(webUrl);
    await page.getByTestId("title-input").fill(title);
    await page.getByTestId("text-input").fill("A short document. It has two sentences.");
    await page.getByTestId("submit-button").click();

    // The worker runs, so the row goes through every state, each one a fresh render of the title.
    const row = page.getByTestId("run-row").filter({ hasText: title });
    await row.getByTestId("run-status").getByText("completed").waitFor({ timeout: 20_000 });
    expect(await row.locator(".run-label").textContent()).toBe(title);
    expect(await page.getByTestId("run-detail").getByRole("heading", { level: 2 }).textContent()).toBe(title);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => "__xss" in window)).toBe(false);
  });

  it("signs in with a #token= link and clears the token from the address bar", async () => {
    const visitor = await newPage();
    await visitor.goto(`${webUrl}#token=${token}`);
    await visitor.getByTestId("session-owner").waitFor({ timeout: 10_000 });
    expect(await visitor.evaluate(() => location.href)).toBe(webUrl);
    expect(visitor.url()).not.toContain(token);
    expect(await storedToken(visitor)).toBe(token);

    // Sign out forgets the token.
    await visitor.getByRole("button", { name: "Sign out" }).click();
    await visitor.getByLabel("API token").waitFor({ timeout: 10_000 });
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("goes back to the sign-in page with the reason when the token is revoked", async () => {
    const revocable = await createToken(db, { ownerId: "alice", role: "user", submitRate: 1000, submitBurst: 1000 });
    const visitor = await newPage();
    // Revoke only once the app's first calls have passed the API's check, so the refusal comes from the click below.
    const answered = (path: string) => visitor.waitForResponse((response) => new URL(response.url()).pathname === `/trpc/${path}`, { timeout: 10_000 });
    const settled = Promise.all([answered("jobs.list"), answered("jobs.events")]);
    await visitor.goto(`${webUrl}#token=${revocable.token}`);
    await visitor.getByTestId("session-owner").waitFor({ timeout: 10_000 });
    await settled;

    await revokeToken(db, { ownerId: "alice", role: "user" }, revocable.info.id);
    // The next call the app makes is refused.
    await visitor.getByTestId("submit-button").click();
    await visitor.getByRole("alert").getByText(/^Signed out: token cvy_\S+… was revoked at /).waitFor({ timeout: 10_000 });
    expect(await visitor.getByTestId("submit-form").count()).toBe(0);
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("serves the built app with security headers, and it runs under its CSP", async () => {
    const response = await fetch(webUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(productionCsp);
    for (const [name, value] of Object.entries(expectedHeaders)) expect(response.headers.get(name)).toBe(value);
    // Every page of this file ran the build under that policy.
    expect(cspViolations).toEqual([]);
  });

  it("serves the dev server with security headers, and the app loads under its CSP", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const configFile = fileURLToPath(new URL("../vite.config.ts", import.meta.url));
    const root = fileURLToPath(new URL("..", import.meta.url));
    devServer = await createServer({ configFile, root, logLevel: "warn", server: { port, strictPort: true, host: "127.0.0.1" } });
    await devServer.listen();
    const devUrl = `http://127.0.0.1:${port}/`;

    const response = await fetch(devUrl);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    // Dev differs from the build only by the hash of React Fast Refresh's inline preamble: no 'unsafe-inline' scripts.
    expect(csp.replace(/ 'sha256-[A-Za-z0-9+/=]+'/, "")).toBe(productionCsp);
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+';/);
    for (const [name, value] of Object.entries(expectedHeaders)) expect(response.headers.get(name)).toBe(value);

    const visitor = await newPage();
    // Vite's client logs this once its HMR WebSocket is open: connect-src allowed it.
    const hmrConnected = visitor.waitForEvent("console", { predicate: (message) => message.text().includes("[vite] connected"), timeout: 30_000 });
    await visitor.goto(devUrl);
    await hmrConnected;
    await visitor.getByLabel("API token").waitFor({ timeout: 30_000 });
    expect(cspViolations).toEqual([]);
    await visitor.close();
  });
});
