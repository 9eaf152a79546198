/**
 * The runs table and the run page in a real browser, against the real stack
 * (API, worker, database): live progress, filters in the address, cancel and
 * retry with confirmation, log lines, 10,000 runs, a phone's width and the
 * keyboard. Every wait is on the page's state, never a sleep.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { submitMany } from "@conveyor/db";
import { catalog } from "@conveyor/jobs";
import { startWebStack, type WebStack } from "../testing/web-stack";

const timeout = 15_000;

let stack: WebStack;
let token: string;
let api: ApiClient;
let receiver: Receiver;
/** Alice's page, signed in once; tests move it around the app as a person would, without reloading. */
let page: Page;
/** The document run of the first test, shown again at a phone's width. */
let documentRunId = "";

beforeAll(async () => {
  // Every progress report is written (not one per 100 ms, the default), so the bar passes through
  // values between 0 and 100 even when the whole analysis takes only a few frames on a fast machine.
  stack = await startWebStack({ workerEnv: { CONVEYOR_PROGRESS_INTERVAL_MS: "0" } });
  // 10,000 waiting runs are seeded below; the default cap on unfinished runs would refuse later submissions.
  token = await stack.token({ ownerId: "alice", maxUnfinishedRuns: 1_000_000 });
  api = apiClient(token);
  receiver = await startReceiver();
  page = await stack.newPage();
  await stack.signIn(page, token, "/");
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const apiClient = (bearer: string) => stack.client(bearer);
type ApiClient = ReturnType<typeof apiClient>;

/**
 * Webhook receivers: /hang holds each request open (until the worker gives
 * up on it), /reject answers 400, /ok answers 200.
 */
interface Receiver {
  url: string;
  /** Resolves when a held request of this run arrives; its `closed` when the worker drops it. */
  held(runId: string): Promise<{ closed: Promise<void> }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, (request: { closed: Promise<void> }) => void>();
  const arrived = new Map<string, Promise<{ closed: Promise<void> }>>();
  const arrival = (runId: string) => {
    let promise = arrived.get(runId);
    if (!promise) {
      promise = new Promise((resolve) => arrivals.set(runId, resolve));
      arrived.set(runId, promise);
    }
    return promise;
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://receiver").pathname;
    if (path === "/hang") {
      const runId = String(request.headers["x-conveyor-run-id"]);
      void arrival(runId);
      const closed = new Promise<void>((resolve) => response.once("close", () => resolve()));
      arrivals.get(runId)?.({ closed });
      return;
    }
    response.writeHead(path === "/ok" ? 200 : 400, { "content-type": "text/plain" });
    response.end(path === "/ok" ? "thanks" : "no such hook");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the receiver has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    held: arrival,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Go to `path` inside the app (wouter follows the history API), as a click on a link would. */
async function visit(path: string): Promise<void> {
  await page.evaluate((to) => history.pushState(null, "", to), path);
}

/** The address the page shows now (read in the page: in-app navigations change it without loading). */
async function address(): Promise<URL> {
  return new URL(await page.evaluate(() => location.href));
}

function row(page: Page, runId: string): Locator {
  return page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
}

/** Wait until `selector` matches exactly `count` elements. */
async function waitForCount(page: Page, selector: string, count: number, wait = timeout): Promise<void> {
  await page.waitForFunction(([css, n]) => document.querySelectorAll(css).length === n, [selector, count] as const, { timeout: wait });
}

/** Press Tab until the focused element matches `selector`; fails after `max` presses. */
async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let presses = 0; presses < max; presses++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((css) => document.activeElement?.matches(css) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Record every value the progress bar under `selector` shows, as the page renders it. */
async function recordBar(page: Page, selector: string): Promise<void> {
  await page.evaluate((css) => {
    const seen: number[] = [];
    Reflect.set(window, "barValues", seen);
    const record = () => {
      const bar = document.querySelector(css);
      const value = Number(bar?.getAttribute("aria-valuenow"));
      if (bar && seen.at(-1) !== value) seen.push(value);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuenow"] });
    record();
  }, selector);
}

function barValues(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const values: unknown = Reflect.get(window, "barValues");
    return Array.isArray(values) ? values.filter((value): value is number => typeof value === "number") : [];
  });
}

/** A long document (about 4 MB) whose analysis takes long enough to watch. */
function longDocument(): string {
  const sentence = "Conveyor analyses documents while people watch the bar move.";
  const paragraph = Array.from({ length: 5 }, () => sentence).join(" ");
  return Array.from({ length: 13_000 }, () => paragraph).join("\n\n");
}

function noHorizontalScroll(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

describe("the runs table and the run page", () => {
  it("moves a document's progress bar up to 100% live, on the runs page and on the run's page", { timeout: 40_000 }, async () => {
    const list = page;
    await list.getByTestId("runs-list").or(list.getByTestId("runs-empty")).waitFor({ timeout });
    const detail = await stack.newPage();
    await stack.signIn(detail, token, "/");

    // The document waits in a queue of one behind a webhook that never answers, so both pages are
    // watching before it starts, however slow the machine; cancelling the webhook lets it go.
    const blocker = await api.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: `${receiver.url}/hang`, payload: {}, requestTimeoutMs: 120_000 },
      options: { queue: "watched" },
    });
    await receiver.held(blocker.id);
    const { id } = await api.jobs.submit.mutate({
      type: "document.analyze",
      input: { title: "Watched document", text: longDocument() },
      options: { queue: "watched" },
    });
    documentRunId = id;
    await detail.goto(new URL(`runs/${id}`, stack.webUrl).toString());
    await detail.getByTestId("run-status").getByText("queued").waitFor({ timeout });
    // The runs page learns of the new run from the event stream alone.
    await row(list, id).getByTestId("run-status").getByText("queued").waitFor({ timeout });
    await recordBar(list, `[data-run-id="${id}"] [role="progressbar"]`);
    await recordBar(detail, '[data-testid="run-detail"] [role="progressbar"]');
    await api.jobs.cancel.mutate({ id: blocker.id });

    await row(list, id).locator('[role="progressbar"][aria-valuenow="100"]').waitFor({ timeout: 30_000 });
    await row(list, id).getByTestId("run-status").getByText("completed").waitFor({ timeout });
    await detail.locator('[data-testid="run-detail"] [role="progressbar"][aria-valuenow="100"]').waitFor({ timeout });
    await detail.getByTestId("analysis-result").waitFor({ timeout });
    expect(await detail.getByTestId("result-words").textContent()).toBe((13_000 * 5 * 9).toLocaleString("en-US"));

    const seenOnPages = [await barValues(list), await barValues(detail)];
    for (const seen of seenOnPages) {
      // From 0 to 100 without a reload, never going back.
      expect(seen[0]).toBe(0);
      expect(seen.at(-1)).toBe(100);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    // And through values between. A page applies the events of one frame together, so on a busy
    // machine a stalled page may get the last reports and the end in the same frame.
    expect(seenOnPages.some((seen) => seen.some((value) => value > 0 && value < 100))).toBe(true);
    await detail.locator('[data-testid="timeline-entry"][data-kind="progress"]').first().waitFor({ timeout });
    // The timeline replayed the history, then followed live, to the end.
    await detail.locator('[data-testid="timeline-entry"][data-kind="completed"]').waitFor({ timeout });
    expect(await detail.getByTestId("timeline-entry").first().textContent()).toContain("Queued");

    await stack.screenshot(list, "runs-page");
    await stack.screenshot(detail, "run-detail");
    await detail.close();
  });

  it("narrows the table by status and search, keeps the filter in the address, and keeps it on reload", async () => {
    const tag = `filter${Date.now()}`;
    for (const name of ["alpha", "beta", "gamma"]) {
      await api.jobs.submit.mutate({ type: "document.analyze", input: { title: `${tag} ${name}`, text: "A short text. It has two sentences." } });
    }
    await api.jobs.submit.mutate({ type: "webhook.deliver", input: { url: `${receiver.url}/reject?${tag}`, payload: {} } });

    await visit("/");
    await page.getByTestId("runs-list").waitFor({ timeout });
    await page.getByTestId("filter-search").fill(tag);
    // The four runs, each finished (the webhook is refused at once).
    await waitForCount(page, '[data-testid="run-row"]', 4);
    await waitForCount(page, '[data-testid="run-row"][data-status="completed"]', 3);
    await waitForCount(page, '[data-testid="run-row"][data-status="failed"]', 1);
    expect((await address()).searchParams.get("search")).toBe(tag);

    await page.getByTestId("filter-status").selectOption("failed");
    await waitForCount(page, '[data-testid="run-row"]', 1);
    expect(await page.getByTestId("run-row").textContent()).toContain(`/reject?${tag}`);
    const shared = await address();
    expect(shared.searchParams.get("status")).toBe("failed");
    expect(shared.searchParams.get("search")).toBe(tag);

    await page.reload();
    await waitForCount(page, '[data-testid="run-row"]', 1);
    expect(await page.getByTestId("filter-status").inputValue()).toBe("failed");
    expect(await page.getByTestId("filter-search").inputValue()).toBe(tag);
    await stack.screenshot(page, "runs-filtered");

    await page.getByTestId("filter-search").fill(`${tag} delta`);
    await page.getByTestId("runs-empty").getByText("No runs match these filters").waitFor({ timeout });
  });

  it("cancels a running run from its page after confirmation, and its bar stops", async () => {
    const { id } = await api.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: `${receiver.url}/hang`, payload: { test: "cancel" }, requestTimeoutMs: 120_000 },
    });
    const request = await receiver.held(id);
    await visit(`/runs/${id}`);
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("running").waitFor({ timeout });
    await detail.locator('[role="progressbar"][data-state="running"]').waitFor({ timeout });

    await page.getByRole("button", { name: "Cancel run" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this run?" });
    await dialog.waitFor({ timeout });
    await stack.screenshot(page, "run-cancel-dialog");
    await dialog.getByRole("button", { name: "Cancel run" }).click();

    await detail.getByTestId("run-status").getByText("cancelled").waitFor({ timeout });
    await detail.locator('[role="progressbar"][data-state="cancelled"]').waitFor({ timeout });
    await detail.locator('[data-testid="timeline-entry"][data-kind="cancelled"]').waitFor({ timeout });
    // The worker dropped the request it was waiting on.
    await request.closed;
    expect((await api.jobs.get.query({ id })).status).toBe("cancelled");
    expect(await page.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
    await page.getByRole("button", { name: "Retry run" }).waitFor({ timeout });
  });

  it("retries a failed run from its page and lists every attempt's error", async () => {
    const { id } = await api.jobs.submit.mutate({ type: "webhook.deliver", input: { url: `${receiver.url}/reject`, payload: { test: "retry" } } });
    await visit(`/runs/${id}`);
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("failed").waitFor({ timeout });
    await page.locator('[data-testid="attempt-error"][data-attempt="1"]').waitFor({ timeout });

    await page.getByRole("button", { name: "Retry run" }).click();
    await page.getByRole("dialog", { name: "Run it again?" }).getByRole("button", { name: "Retry run" }).click();

    // Queued again, tried again, refused again: both attempts' errors stay.
    await page.locator('[data-testid="attempt-error"][data-attempt="2"]').waitFor({ timeout });
    await detail.getByTestId("run-status").getByText("failed").waitFor({ timeout });
    const errors = await page.getByTestId("attempt-error").allTextContents();
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toContain("webhook answered 400 Bad Request");
    // A retry grants the submission's budget again: 5 more attempts after the first.
    expect(await detail.getByTestId("run-attempts").textContent()).toBe("2 of 6");
    await detail.locator('[data-testid="timeline-entry"]').getByText("Queued again (retry)").waitFor({ timeout });
    await stack.screenshot(page, "run-retried");
  });

  it("shows the handler's log lines in the timeline, and the input's sensitive fields as redacted", async () => {
    const { id } = await api.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: `${receiver.url}/ok`, payload: { order: 42 }, secret: "a-signing-secret-of-some-length" },
    });
    await visit(`/runs/${id}`);
    const detail = page.getByTestId("run-detail");
    await detail.getByTestId("run-status").getByText("completed").waitFor({ timeout });
    const log = detail.locator('[data-testid="timeline-entry"][data-kind="log"]');
    await log.waitFor({ timeout });
    expect(await log.textContent()).toContain("webhook answered");
    expect(await log.textContent()).toContain("status=200");

    await page.getByTestId("logs-only").check();
    await waitForCount(page, '[data-testid="timeline-entry"]', 1);
    expect(await detail.getByTestId("run-output-json").textContent()).toContain('"status": 200');
    expect(await detail.getByTestId("run-input").locator(".run-json-redacted").allTextContents()).toEqual(["[redacted]"]);
    expect(await detail.getByTestId("run-input").textContent()).not.toContain("a-signing-secret");
    await stack.screenshot(page, "run-detail-webhook");
  });

  it("pages through 10,000 runs 50 at a time and filters them", { timeout: 90_000 }, async () => {
    await visit("/");
    await page.getByTestId("runs-list").waitFor({ timeout });

    const tomorrow = new Date(Date.now() + 24 * 60 * 60 * 1000).toISOString();
    const items = Array.from({ length: 10_000 }, (_, n) => ({
      type: "webhook.deliver",
      input: { url: `${receiver.url}/hang?seeded=${n}`, payload: { n } },
      options: { runAt: tomorrow },
    }));
    const seededAt = performance.now();
    await submitMany(stack.db, catalog, items, "alice");
    const seeded = performance.now();

    // The open page hears of the new runs through its subscription and reloads its first page.
    await waitForCount(page, '[data-testid="run-row"][data-status="scheduled"]', 50, 40_000);
    const shown = performance.now();
    const firstPage = await page.getByTestId("run-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-run-id")));
    expect(firstPage).toHaveLength(50);

    await page.getByTestId("runs-next").click();
    await page.getByTestId("runs-page-number").getByText("Page 2").waitFor({ timeout });
    await page.waitForFunction((first) => {
      const ids = [...document.querySelectorAll('[data-testid="run-row"]')].map((row) => row.getAttribute("data-run-id"));
      return ids.length === 50 && ids.every((id) => !first.includes(id));
    }, firstPage);
    await page.getByTestId("runs-previous").click();
    await page.waitForFunction(
      (first) => [...document.querySelectorAll('[data-testid="run-row"]')].map((row) => row.getAttribute("data-run-id")).join() === first.join(),
      firstPage,
    );

    // Among the 10,000 waiting runs, the handful that completed.
    await page.getByTestId("filter-status").selectOption("completed");
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="run-row"]')];
      return rows.length > 0 && rows.length < 50 && rows.every((row) => row.getAttribute("data-status") === "completed");
    });
    const filtered = performance.now();
    await page.getByTestId("filter-status").selectOption("scheduled");
    await waitForCount(page, '[data-testid="run-row"][data-status="scheduled"]', 50);
    await stack.screenshot(page, "runs-10k");
    console.info(
      `10,000 runs: seeded in ${Math.round(seeded - seededAt)} ms, first page live after ${Math.round(shown - seeded)} ms, ` +
        `paging and the status filter in ${Math.round(filtered - shown)} ms`,
    );
  });

  it("fits a 375 px wide screen without sideways scrolling, on the runs page and the run page", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await visit("/?type=document.analyze");
    await row(page, documentRunId).waitFor({ timeout });
    expect(await noHorizontalScroll(page)).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    // Usable: the filters and the runs' links are on screen and work.
    expect(await page.getByTestId("filter-status").isVisible()).toBe(true);
    await stack.screenshot(page, "runs-page-375");

    await row(page, documentRunId).locator("a.run-label").click();
    await page.getByTestId("analysis-result").waitFor({ timeout });
    await page.getByTestId("timeline-entry").first().waitFor({ timeout });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await stack.screenshot(page, "run-detail-375");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("works from the keyboard: Tab to a run, Enter opens it; Tab to Cancel, Enter asks, Escape backs out", async () => {
    const { id } = await api.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: `${receiver.url}/hang`, payload: { test: "keyboard" }, requestTimeoutMs: 120_000 },
    });
    await receiver.held(id);
    await visit(`/?search=${id}`);
    // Tab from the top of the page.
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await row(page, id).getByTestId("run-status").getByText("running").waitFor({ timeout });

    await tabTo(page, `[data-run-id="${id}"] a.run-label`);
    // The keyboard focus is visible.
    expect(await page.evaluate(() => (document.activeElement ? getComputedStyle(document.activeElement).outlineStyle : "none"))).not.toBe("none");
    await page.keyboard.press("Enter");
    await page.waitForFunction((path) => location.pathname === path, `/runs/${id}`, { timeout });
    await page.getByTestId("run-detail").waitFor({ timeout });

    await tabTo(page, '[data-testid="cancel-run"]');
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Cancel this run?" });
    await dialog.waitFor({ timeout });
    // The confirm button has the focus first.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("confirm-button");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden", timeout });
    expect((await api.jobs.get.query({ id })).status).toBe("running");
    // Focus is back on the button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("cancel-run");

    // Someone else cancels it while the dialog is open: confirming shows the API's refusal.
    await page.keyboard.press("Enter");
    await dialog.waitFor({ timeout });
    await api.jobs.cancel.mutate({ id });
    await page.getByTestId("run-detail").getByTestId("run-status").getByText("cancelled").waitFor({ timeout });
    await page.keyboard.press("Enter");
    const refusal = page.getByRole("alert").filter({ hasText: "CONFLICT" });
    await refusal.waitFor({ timeout });
    expect(await refusal.textContent()).toContain("Could not cancel the run");
  });

  it("says plainly when a run does not exist or belongs to someone else", async () => {
    const bob = apiClient(await stack.token({ ownerId: "bob" }));
    const { id: bobsRun } = await bob.jobs.submit.mutate({ type: "document.analyze", input: { text: "Bob's own document." } });
    await visit(`/runs/${bobsRun}`);
    await page.getByTestId("run-not-found").getByText("No such run (or not yours)").waitFor({ timeout });
    await visit("/runs/00000000-0000-4000-8000-000000000000");
    await page.getByTestId("run-not-found").waitFor({ timeout });
    // Nothing failed in any page, beyond the refusals the tests asked for (Chromium logs each 4xx answer).
    expect(stack.pageErrors.filter((error) => !error.startsWith("Failed to load resource"))).toEqual([]);
  });
});
