import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { createToken, revokeToken } from "@conveyor/db";
import { waitFor } from "@conveyor/db/testing";
import { freePort } from "@conveyor/db/free-port";
import { spawnWorker, type SpawnedWorker } from "@conveyor/worker/testing";
import { startWebStack, type WebStack } from "./testing/web-stack";

/** The headers vite.config.ts sets on both servers, besides the CSP. */
const expectedHeaders = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
const productionCsp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const runUrl = /\/runs\/[0-9a-f-]{36}$/;

let stack: WebStack;
/** Started by the progress test, once its page is there to watch the run. */
let worker: SpawnedWorker | undefined;
let devServer: ViteDevServer | undefined;
let page: Page;
/** Alice's token: a user, who sees only her own runs. */
let token: string;

beforeAll(async () => {
  stack = await startWebStack({ worker: false });
  token = await stack.token({ ownerId: "alice", role: "user" });
  page = await stack.newPage();
}, 90_000);

afterAll(async () => {
  await devServer?.close();
  await worker?.stop();
  await stack?.close();
});

/** Content-Security-Policy violations any page reported in its console. */
function cspViolations(): string[] {
  return stack.pageErrors.filter((message) => message.includes("Content Security Policy"));
}

/** A ~1 MB document whose word count is known exactly: 6 words a sentence, 5 sentences a paragraph. */
function knownDocument(paragraphs: number): { text: string; words: number } {
  const sentence = "Conveyor analyses documents while people watch.";
  const paragraph = Array.from({ length: 5 }, () => sentence).join(" ");
  return { text: Array.from({ length: paragraphs }, () => paragraph).join("\n\n"), words: paragraphs * 5 * 6 };
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

function at(path: string): string {
  return new URL(path, stack.webUrl).toString();
}

describe("the web app", () => {
  it("refuses a wrong token on the sign-in page with the API's reason, and stores nothing", async () => {
    const visitor = await stack.newPage();
    await visitor.goto(stack.webUrl);
    const input = visitor.getByLabel("API token");
    await input.waitFor({ timeout: 10_000 });
    expect(await input.getAttribute("type")).toBe("password");
    expect(await input.getAttribute("autocomplete")).toBe("off");
    await stack.screenshot(visitor, "sign-in");

    const alert = visitor.getByRole("alert");
    // Well-formed but never issued, then not even well-formed: each time the API says which.
    await input.fill(`cvy_${"A".repeat(43)}`);
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await alert.getByText("unknown token: it was never issued here").waitFor({ timeout: 10_000 });
    await input.fill("not-a-token");
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await alert.getByText("malformed token: expected 'cvy_' followed by 43 characters").waitFor({ timeout: 10_000 });
    await stack.screenshot(visitor, "sign-in-refused");

    expect(await visitor.getByTestId("submit-form").count()).toBe(0);
    expect(await visitor.getByTestId("session").count()).toBe(0);
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("submits a 1 MB file and shows its progress live up to 100%, then the analysis", { timeout: 60_000 }, async () => {
    await page.goto(at("submit"));
    await signInWithForm(page, token);
    expect(await page.getByTestId("session-owner").textContent()).toBe("alice");
    expect(await page.getByTestId("session-role").textContent()).toBe("user");
    expect(await storedToken(page)).toBe(token);

    // Record every value the run's progress bar shows, as the page renders it.
    await page.evaluate(() => {
      const seen: number[] = [];
      Reflect.set(window, "progressSeen", seen);
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="run-detail"] [role="progressbar"]');
        const value = Number(bar?.getAttribute("aria-valuenow"));
        if (bar && seen.at(-1) !== value) seen.push(value);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    });

    const doc = knownDocument(4_400);
    expect(doc.text.length).toBeGreaterThan(1024 * 1024);
    const form = page.getByTestId("submit-form");
    await form.getByLabel("Title").fill("Browser test document");
    await form.getByTestId("file-input").setInputFiles({ name: "report.txt", mimeType: "text/plain", buffer: Buffer.from(doc.text) });
    await form.getByTestId("file-info").getByText(/^report\.txt · 1\.\d\d MB$/).waitFor({ timeout: 10_000 });
    await form.getByTestId("submit-button").click();

    // A successful submit lands on the run's page. No worker runs yet, so it shows the run waiting at 0%;
    // a 1 MB analysis takes well under a second, and starting the worker only now makes sure the page is there to watch it.
    await page.waitForURL(runUrl, { timeout: 10_000 });
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("queued").waitFor({ timeout: 10_000 });
    await detail.locator('[role="progressbar"][aria-valuenow="0"]').waitFor({ timeout: 10_000 });
    worker = await spawnWorker(stack.databaseUrl);

    await detail.getByTestId("run-status").getByText("completed").waitFor({ timeout: 30_000 });
    await detail.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 10_000 });
    await detail.getByTestId("analysis-result").waitFor({ timeout: 10_000 });
    expect(await detail.getByTestId("result-words").textContent()).toBe(doc.words.toLocaleString("en-US"));
    expect(await detail.getByTestId("result-keywords").textContent()).toContain("conveyor");

    // The bar moved in the page, without a reload: from 0 to 100, never going back.
    const seen = await page.evaluate(() => {
      const values: unknown = Reflect.get(window, "progressSeen");
      return Array.isArray(values) ? values.filter((value): value is number => typeof value === "number") : [];
    });
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    // The runs list (at "/", reached without a reload) shows the run as the same subscription left it.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
    const row = page.getByTestId("run-row").filter({ hasText: "Browser test document" });
    await row.getByTestId("run-status").getByText("completed").waitFor({ timeout: 10_000 });
    await row.locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => "progressSeen" in window)).toBe(true);
  });

  it("shows the server's validation message by the field", async () => {
    // Signed in by the token stored on the previous visit.
    await page.goto(at("submit"));
    await page.getByTestId("submit-button").click();
    const error = page.getByTestId("error-input.text");
    await error.waitFor({ timeout: 10_000 });
    expect(await error.textContent()).toBe("the document is empty");
  });

  it("shows markup in a run's title as literal text", async () => {
    const title = `<img src=x onerror="window.__xss=1">`;
    await page.goto(at("submit"));
    await page.getByTestId("submit-form").getByLabel("Title").fill(title);
    await page.getByTestId("field-text").fill("A short document. It has two sentences.");
    await page.getByTestId("submit-button").click();
    await page.waitForURL(runUrl, { timeout: 10_000 });

    // The worker runs, so the run goes through every state, each one a fresh render of the title.
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("completed").waitFor({ timeout: 20_000 });
    expect(await detail.getByRole("heading", { level: 2 }).first().textContent()).toBe(title);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
    const row = page.getByTestId("run-row").filter({ hasText: title });
    await row.getByTestId("run-status").getByText("completed").waitFor({ timeout: 20_000 });
    expect(await row.getByText(title, { exact: true }).count()).toBe(1);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => "__xss" in window)).toBe(false);
  });

  it("signs in with a #token= link and clears the token from the address bar", async () => {
    const visitor = await stack.newPage();
    await visitor.goto(`${stack.webUrl}#token=${token}`);
    await visitor.getByTestId("session-owner").waitFor({ timeout: 10_000 });
    expect(await visitor.evaluate(() => location.href)).toBe(stack.webUrl);
    expect(visitor.url()).not.toContain(token);
    expect(await storedToken(visitor)).toBe(token);

    // Sign out forgets the token.
    await visitor.getByRole("button", { name: "Sign out" }).click();
    await visitor.getByLabel("API token").waitFor({ timeout: 10_000 });
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("goes back to the sign-in page with the reason when the token is revoked", async () => {
    const revocable = await createToken(stack.db, { ownerId: "alice", role: "user", submitRate: 1000, submitBurst: 1000 });
    const visitor = await stack.newPage();
    // Revoke only once the app's first calls have passed the API's check, so the refusal comes from the click below.
    // (Queries may travel in one batched request, "/trpc/jobs.list,jobs.types".)
    const answered = (procedure: string) =>
      visitor.waitForResponse((response) => new URL(response.url()).pathname.split(/[/,]/).includes(procedure), { timeout: 10_000 });
    const settled = Promise.all([answered("jobs.list"), answered("jobs.events")]);
    await visitor.goto(`${stack.webUrl}#token=${revocable.token}`);
    await visitor.getByTestId("session-owner").waitFor({ timeout: 10_000 });
    await settled;

    await revokeToken(stack.db, { ownerId: "alice", role: "user" }, revocable.info.id);
    // The API hears of the revocation through Postgres a moment later: wait until it refuses the token,
    // or the click below may still be answered from the few seconds the API trusts a checked token.
    await waitFor("the API to refuse the revoked token", () =>
      stack.client(revocable.token).jobs.types.query().then(
        () => undefined,
        (error: unknown) => (error instanceof Error && / was revoked at /.test(error.message) ? true : undefined),
      ),
    );
    // The next call the app makes (the submit page's job types) is refused.
    await visitor.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Submit" }).click();
    await visitor.getByRole("alert").getByText(/^Signed out: token cvy_\S+… was revoked at /).waitFor({ timeout: 10_000 });
    expect(await visitor.getByTestId("submit-form").count()).toBe(0);
    expect(await storedToken(visitor)).toBeNull();
    await visitor.close();
  });

  it("serves the built app with security headers, and it runs under its CSP", async () => {
    const response = await fetch(stack.webUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(productionCsp);
    for (const [name, value] of Object.entries(expectedHeaders)) expect(response.headers.get(name)).toBe(value);
    // Every page of this file ran the build under that policy.
    expect(cspViolations()).toEqual([]);
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

    const visitor = await stack.newPage();
    // Vite's client logs this once its HMR WebSocket is open: connect-src allowed it.
    const hmrConnected = visitor.waitForEvent("console", { predicate: (message) => message.text().includes("[vite] connected"), timeout: 30_000 });
    await visitor.goto(devUrl);
    await hmrConnected;
    await visitor.getByLabel("API token").waitFor({ timeout: 30_000 });
    expect(cspViolations()).toEqual([]);
    await visitor.close();
  });
});
