/**
 * The real stack for browser tests: a fresh database (per test file), the
 * API, a spawned worker, a production build of the web app served by
 * `vite preview`, and Debian's Chromium. Pages sign in through the sign-in
 * form, as people do.
 */
import { fileURLToPath } from "node:url";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { build, preview, type PreviewServer } from "vite";
import { createToken, type CreateTokenInput, type Database } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { freePort } from "@conveyor/db/free-port";
import { startApiServer, type ApiServer } from "@conveyor/api/server";
import type { AppRouter } from "@conveyor/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";

export const chromiumFlags = [
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
export const artifactsDir = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));

export interface WebStack {
  db: Database;
  databaseUrl: string;
  api: ApiServer;
  /** Null when started with `worker: false`. */
  worker: SpawnedWorker | null;
  /** The web app's root, e.g. http://127.0.0.1:41234/ */
  webUrl: string;
  browser: Browser;
  /**
   * A plain tRPC client of the API over HTTP, for the test's own calls
   * (`createClient` from @conveyor/api/client does not type-check under this
   * package's DOM types: its undici WebSocket is not the DOM's).
   */
  client(token: string): ApiClient;
  /** A token with generous limits, for the given owner and role. */
  token(input: CreateTokenInput): Promise<string>;
  /** A fresh page (its own storage) of the given width; CSP violations and page errors are collected. */
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  /** Open `path` on a page, signing in with `token` through the form first. */
  signIn(page: Page, token: string, path?: string): Promise<void>;
  /** Save a full-page screenshot as a test artifact. */
  screenshot(page: Page, name: string): Promise<void>;
  /** Console errors and uncaught exceptions of every page so far. */
  pageErrors: string[];
  close(): Promise<void>;
}

export type ApiClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export async function startWebStack(options: { worker?: boolean; workerEnv?: Record<string, string> } = {}): Promise<WebStack> {
  const { db, url: databaseUrl } = await createTestDatabase();
  const api = await startApiServer({ databaseUrl, port: 0 });
  // vite.config.ts reads where to proxy /trpc from the environment.
  process.env.CONVEYOR_API_URL = new URL(api.url).origin;
  const worker = options.worker === false ? null : await spawnWorker(databaseUrl, options.workerEnv);
  // A production build: the dev server's first-visit dependency optimisation can reload a page mid-test.
  const configFile = fileURLToPath(new URL("../../vite.config.ts", import.meta.url));
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const outDir = await mkdtemp(join(tmpdir(), "conveyor-web-"));
  await build({ configFile, root, logLevel: "error", build: { outDir, emptyOutDir: true } });
  const port = await freePort();
  const server: PreviewServer = await preview({
    configFile,
    root,
    logLevel: "warn",
    build: { outDir },
    preview: { port, strictPort: true, host: "127.0.0.1" },
  });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumFlags });
  await mkdir(artifactsDir, { recursive: true });
  const pageErrors: string[] = [];
  const webUrl = `http://127.0.0.1:${port}/`;

  return {
    db,
    databaseUrl,
    api,
    worker,
    webUrl,
    browser,
    pageErrors,
    client: (token) =>
      createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: api.url, headers: { authorization: `Bearer ${token}` } })] }),
    async token(input) {
      const { token } = await createToken(db, { submitRate: 100_000, submitBurst: 100_000, maxSubscriptions: 1_000, ...input });
      return token;
    },
    async newPage({ width = 1280, height = 900 } = {}) {
      const page = await browser.newPage({ viewport: { width, height } });
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(message.text());
      });
      page.on("pageerror", (error) => pageErrors.push(error.message));
      return page;
    },
    async signIn(page, token, path = "") {
      await page.goto(new URL(path.replace(/^\//, ""), webUrl).toString());
      await page.getByLabel("API token").fill(token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByTestId("session-owner").waitFor({ timeout: 15_000 });
    },
    async screenshot(page, name) {
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await server.close();
      await rm(outDir, { recursive: true, force: true });
      await worker?.stop();
      await api.close();
    },
  };
}
