/**
 * The operator pages in a real browser against the real stack: queue
 * figures and workers kept live by run events, the dead-letter list and
 * "Retry all" behind a confirmation dialog, the schedules, what a user's
 * token is refused, and a phone's width.
 */
import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { startWebStack, type WebStack } from "../testing/web-stack";

const timeout = 15_000;

let stack: WebStack;
let adminToken: string;
let api: ReturnType<typeof apiClient>;
let receiver: Receiver;
/** The admin's queues page, open through the first three tests, which watch it change without reloading. */
let queues: Page;
/** The webhook run that fails, then is retried. */
let failedRunId = "";

beforeAll(async () => {
  stack = await startWebStack();
  adminToken = await stack.token({ ownerId: "ops", role: "admin" });
  api = apiClient(adminToken);
  receiver = await startReceiver();
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const apiClient = (bearer: string) => stack.client(bearer);

/** A webhook receiver that refuses deliveries (400) until told to accept them. */
interface Receiver {
  url: string;
  accept(): void;
  requests(): number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  let accepting = false;
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    request.resume();
    response.writeHead(accepting ? 200 : 400, { "content-type": "text/plain" });
    response.end(accepting ? "thanks" : "unknown hook");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the receiver has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    accept: () => {
      accepting = true;
    },
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function signedInPage(token: string, path: string, width = 1280): Promise<Page> {
  const page = await stack.newPage({ width, height: 900 });
  page.setDefaultTimeout(timeout);
  await stack.signIn(page, token, path);
  return page;
}

/** Wait for an API-side condition (the page's own state is waited on through locators). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function queueCard(page: Page, type: string): Locator {
  return page.locator(`[data-testid="queue-card"][data-type="${type}"]`);
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe("the operator pages", () => {
  it("shows each queue's counts as runs complete, live, and the worker alive with a ticking heartbeat", async () => {
    queues = await signedInPage(adminToken, "/queues");
    await queues.getByRole("heading", { name: "Queues", level: 1 }).waitFor();
    // Nothing has run yet (the page may load before or after the worker's first heartbeat).
    await queues.getByTestId("worker-row").or(queues.getByText("No worker has started yet")).first().waitFor();

    const texts = ["First document. It is short.", "Second document, a little longer. Two sentences.", "Third."];
    for (const text of texts) await api.jobs.submit.mutate({ type: "document.analyze", input: { text } });

    // The page was not reloaded: run events refreshed its figures.
    const card = queueCard(queues, "document.analyze");
    await card.getByTestId("count-completed").getByText("3", { exact: true }).waitFor();
    expect(await card.getAttribute("data-queue")).toBe("default");
    expect(await card.getByTestId("count-failed").textContent()).toBe("0");
    expect(await card.getByTestId("completed-last-hour").textContent()).toBe("3");
    expect(await card.getByTestId("failure-rate").textContent()).toBe("0%");
    expect(await card.getByTestId("duration-p50").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
    // (At least 3: the hourly prune may fire during the test.)
    await queues.getByTestId("throughput-summary").getByText(/In the last hour, (?:[3-9]|\d\d+) runs completed and 0 runs failed/).waitFor();

    const worker = queues.getByTestId("worker-row").first();
    expect(await worker.getByTestId("worker-alive").textContent()).toBe("alive");
    const heartbeat = worker.getByTestId("worker-heartbeat");
    expect(await heartbeat.textContent()).toMatch(/^(just now|\d+ s ago)$/);
    // The age ticks in the page, from the same figures: a clock, not a request.
    const before = await heartbeat.textContent();
    await queues.waitForFunction((old) => document.querySelector('[data-testid="worker-heartbeat"]')?.textContent !== old, before);
    await stack.screenshot(queues, "queues-desktop");
  });

  it("lists a run that used all its attempts in the dead-letter list, as it fails", async () => {
    const list = queues.getByTestId("dead-letter-empty");
    await list.waitFor();
    const { id } = await api.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: receiver.url, payload: { event: "invoice.paid" } },
      options: { maxAttempts: 1 },
    });
    failedRunId = id;
    const item = queues.locator(`[data-testid="failed-run"][data-run-id="${id}"]`);
    await item.waitFor();
    expect(await item.getByRole("link").getAttribute("href")).toBe(`/runs/${id}`);
    expect(await item.textContent()).toContain("webhook answered 400");
    await queueCard(queues, "webhook.deliver").getByTestId("count-failed").getByText("1", { exact: true }).waitFor();

    // Filtered by another queue, the list is empty; by its own, the run is there.
    const filter = queues.getByLabel("Queue", { exact: true });
    expect(await filter.locator("option").allTextContents()).toEqual(expect.arrayContaining(["All queues", "default"]));
    await filter.selectOption("default");
    await item.waitFor();
  });

  it("retries every failed run after a confirmation that Escape dismisses", async () => {
    receiver.accept();
    const retryAll = queues.getByRole("button", { name: "Retry all" });
    const dialog = queues.getByRole("dialog", { name: "Retry all failed runs?" });

    // From the keyboard: the dialog opens on Cancel; Escape closes it and gives focus back, retrying nothing.
    await retryAll.focus();
    await queues.keyboard.press("Enter");
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("in queue default (1 now)");
    expect(await queues.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await queues.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await retryAll.evaluate((element) => element === document.activeElement)).toBe(true);
    expect((await api.jobs.get.query({ id: failedRunId })).status).toBe("failed");

    await retryAll.click();
    await dialog.getByRole("button", { name: "Retry them" }).click();
    await queues.getByTestId("retry-outcome").getByText("Retried 1 failed run in queue default.").waitFor();
    await dialog.waitFor({ state: "hidden" });
    // Queued again with a fresh attempt, which the receiver now accepts.
    const run = await until(() => api.jobs.get.query({ id: failedRunId }), (value) => value.status === "completed", "the retried run to complete");
    expect(run.attempts).toBe(2);
    expect(receiver.requests()).toBe(2);
    await queues.getByTestId("dead-letter-empty").waitFor();
    await stack.screenshot(queues, "queues-retried");
    await queues.close();
  });

  it("lists the bulk retry and the tokens in the audit log, with who did them, filtered by action", async () => {
    const page = await signedInPage(adminToken, "/audit");
    const admin = await api.tokens.whoami.query();
    const retry = page.locator('[data-testid="audit-row"][data-action="runs.retried_failed"]').first();
    await retry.waitFor();
    expect(await retry.getByTestId("audit-actor").textContent()).toBe(`ops (admin, token ${admin.tokenId.slice(0, 8)})`);
    expect(await retry.getByTestId("audit-action").textContent()).toBe("retried failed runs");
    expect(await retry.getByTestId("audit-target").textContent()).toBe("by filter");
    expect(await retry.getByTestId("audit-details").textContent()).toContain("retried: 1");

    await page.getByTestId("audit-action-filter").selectOption("token.created");
    await page.locator('[data-testid="audit-row"][data-action="runs.retried_failed"]').waitFor({ state: "detached" });
    const created = page.locator('[data-testid="audit-row"][data-action="token.created"]');
    await created.first().waitFor();
    // The stack's tokens are made by the platform itself (no token made them).
    const made = created.filter({ hasText: "ownerId: ops" });
    expect(await made.getByTestId("audit-actor").textContent()).toBe("system (admin)");
    expect(await made.getByTestId("audit-details").textContent()).toContain("role: admin");
    await stack.screenshot(page, "audit-desktop");

    await page.setViewportSize({ width: 375, height: 812 });
    expect(await horizontalOverflow(page)).toBe(0);
    await page.close();
  });

  it("shows the schedules with a reading of their cron, the next firing and its countdown", async () => {
    const page = await signedInPage(adminToken, "/schedules");
    const schedule = page.locator('[data-testid="schedule"][data-name="prune-finished-runs"]');
    await schedule.waitFor();
    expect(await schedule.getByRole("heading", { level: 2 }).textContent()).toBe("prune-finished-runs");
    expect(await schedule.getByTestId("schedule-type").textContent()).toBe("runs.prune");
    expect(await schedule.getByTestId("schedule-cron").textContent()).toBe("17 * * * *");
    expect(await schedule.getByTestId("schedule-cron-reading").textContent()).toBe("at minute 17 of every hour");

    const next = new Date(await schedule.locator("time").getAttribute("datetime").then((value) => value ?? ""));
    expect(next.getUTCMinutes()).toBe(17);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    expect(await schedule.getByTestId("schedule-next-in").textContent()).toMatch(/^in (\d+ (s|min)|1 h)$/);
    await stack.screenshot(page, "schedules-desktop");

    await page.setViewportSize({ width: 375, height: 812 });
    expect(await horizontalOverflow(page)).toBe(0);
    await stack.screenshot(page, "schedules-375");
    await page.close();
  });

  it("fits the queues page to a phone's width: the workers table scrolls in its own box", async () => {
    const page = await signedInPage(adminToken, "/queues", 375);
    await queueCard(page, "document.analyze").waitFor();
    await page.getByTestId("workers-table").waitFor();
    expect(await horizontalOverflow(page)).toBe(0);
    const box = page.getByRole("region", { name: "Workers table" });
    expect(await box.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    await stack.screenshot(page, "queues-375");
    await page.close();
  });

  it("offers the maintenance job on the submit page to admins", async () => {
    const page = await signedInPage(adminToken, "/submit?type=runs.prune");
    const form = page.getByTestId("submit-form");
    await form.getByText("This job type takes no input.").waitFor();
    expect(await page.getByTestId("job-type-select").locator("option").allTextContents()).toEqual([
      "document.analyze",
      "webhook.deliver",
      "runs.prune (maintenance)",
    ]);
    await page.close();
  });

  it("hides the operator pages from a user's token", async () => {
    const userToken = await stack.token({ ownerId: "uma", role: "user" });
    const page = await signedInPage(userToken, "/queues");
    const nav = page.getByRole("navigation", { name: "Main" });
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Runs", "Submit"]);
    expect(await page.getByTestId("not-found").textContent()).toContain("The queues page is for admins.");
    await page.goto(new URL("schedules", stack.webUrl).toString());
    expect(await page.getByTestId("not-found").textContent()).toContain("The schedules page is for admins.");
    await page.goto(new URL("audit", stack.webUrl).toString());
    expect(await page.getByTestId("not-found").textContent()).toContain("The audit log is for admins.");
    await expect(stack.client(userToken).audit.list.query()).rejects.toThrow("this needs an admin token");
    await page.close();
    expect(stack.pageErrors.filter((error) => !/^Failed to load resource: the server responded with a status of 404/.test(error))).toEqual([]);
  });
});
