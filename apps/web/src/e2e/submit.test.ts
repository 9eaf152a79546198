/**
 * The submit page in a real browser against the real stack: forms generated
 * from each job type's JSON Schema, the server's zod messages by their
 * fields, a file read into the document, run-at and the options, and a
 * phone's width. Every wait is on the page's state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { startWebStack, type WebStack } from "../testing/web-stack";

const timeout = 8_000;
const runUrl = /\/runs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

let stack: WebStack;
let token: string;
let api: ReturnType<typeof apiClient>;
let page: Page;

beforeAll(async () => {
  stack = await startWebStack();
  token = await stack.token({ ownerId: "sam", role: "user" });
  api = apiClient(token);
  page = await stack.newPage();
  // A step that cannot happen fails with its own message, before the test's time runs out.
  page.setDefaultTimeout(timeout);
  await stack.signIn(page, token, "/submit");
}, 90_000);

afterAll(async () => {
  await stack?.close();
});

const apiClient = (bearer: string) => stack.client(bearer);

async function openForm(type?: string): Promise<Locator> {
  await page.goto(new URL(type ? `submit?type=${type}` : "submit", stack.webUrl).toString());
  const form = page.getByTestId("submit-form");
  await form.waitFor({ timeout });
  return form;
}

/** The messages a control points to with aria-describedby: what a screen reader reads with it. */
function descriptionOf(control: Locator): Promise<string> {
  return control.evaluate((element) =>
    (element.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" | "),
  );
}

/** The document's text box, by its accessible name (the required star beside the label is hidden from it). */
function textField(form: Locator): Locator {
  return form.getByRole("textbox", { name: "Text", exact: true });
}

function isFocused(control: Locator): Promise<boolean> {
  return control.evaluate((element) => element === document.activeElement);
}

function runIdOf(url: string): string {
  const id = runUrl.exec(new URL(url).pathname)?.[1];
  if (!id) throw new Error(`not a run's address: ${url}`);
  return id;
}

describe("the submit page", () => {
  it("submits a document through the generated form, with priority and an idempotency key, and lands on the run", async () => {
    const form = await openForm();
    expect(await page.getByTestId("job-type-select").inputValue()).toBe("document.analyze");
    expect(await page.getByTestId("job-type-description").textContent()).toContain("Analyse a text document");
    // Maintenance jobs are for admins.
    const offered = await page.getByTestId("job-type-select").locator("option").allTextContents();
    expect(offered).toEqual(["document.analyze", "webhook.deliver"]);

    // Generated from the schema: the default is prefilled, the required field is marked, the limits are hints.
    const topKeywords = form.getByLabel("Top keywords");
    expect(await topKeywords.inputValue()).toBe("10");
    expect(await topKeywords.getAttribute("type")).toBe("number");
    expect([await topKeywords.getAttribute("min"), await topKeywords.getAttribute("max"), await topKeywords.getAttribute("step")]).toEqual(["1", "50", "1"]);
    expect(await textField(form).evaluate((element) => element.tagName)).toBe("TEXTAREA");
    expect(await textField(form).getAttribute("required")).not.toBeNull();
    expect(await descriptionOf(form.getByLabel("Title"))).toContain("up to 200 characters");

    await form.getByLabel("Title").fill("Quarterly report");
    await textField(form).fill("Conveyor moved every parcel on time. The team celebrated.");
    await form.getByLabel("Priority").selectOption("high");
    await form.getByLabel("Idempotency key").fill("quarterly-report-2030-q1");
    await form.getByRole("button", { name: "Submit run" }).click();

    await page.waitForURL(runUrl, { timeout });
    const runId = runIdOf(page.url());
    await page.getByTestId("run-detail").waitFor({ timeout });
    const run = await api.jobs.get.query({ id: runId });
    expect(run).toMatchObject({ type: "document.analyze", label: "Quarterly report", priority: "high" });
    // The key went with it: the same key gives back the same run.
    const again = await api.jobs.submit.mutate({
      type: "document.analyze",
      input: { text: "another text" },
      options: { idempotencyKey: "quarterly-report-2030-q1" },
    });
    expect(again).toMatchObject({ id: runId, deduplicated: true });
  });

  it("shows the server's messages by their fields and moves focus to the first", async () => {
    const form = await openForm();
    await form.getByRole("button", { name: "Submit run" }).click();
    const text = textField(form);
    await form.getByTestId("error-input.text").getByText("the document is empty").waitFor({ timeout });
    expect(await text.getAttribute("aria-invalid")).toBe("true");
    expect(await descriptionOf(text)).toContain("the document is empty");
    expect(await isFocused(text)).toBe(true);
    // Typing clears the message of that field.
    await text.fill("Now there is a text.");
    await form.getByTestId("error-input.text").waitFor({ state: "detached", timeout });

    // Another job type, another form: a JSON box is checked here, the URL by the server.
    await page.getByTestId("job-type-select").selectOption("webhook.deliver");
    const url = form.getByLabel("URL");
    await url.waitFor({ timeout });
    expect(await page.evaluate(() => location.search)).toBe("?type=webhook.deliver");
    expect(await form.getByLabel("Headers").inputValue()).toBe("{}");
    await url.fill("ftp://example.com/hook");
    await form.getByLabel("Payload").fill('{"event": "invoice.paid"}');
    await form.getByLabel("Headers").fill("{oops");
    await form.getByRole("button", { name: "Submit run" }).click();
    await form.getByTestId("error-input.headers").getByText(/^not valid JSON: /).waitFor({ timeout });
    expect(await isFocused(form.getByLabel("Headers"))).toBe(true);

    await form.getByLabel("Headers").fill('{"x-source": "conveyor"}');
    await form.getByLabel("Secret").fill("short");
    await form.getByRole("button", { name: "Submit run" }).click();
    await form.getByTestId("error-input.url").getByText("must be an http(s) URL").waitFor({ timeout });
    expect(await descriptionOf(url)).toContain("must be an http(s) URL");
    expect(await form.getByTestId("error-input.secret").textContent()).toBe("at least 16 characters");
    // Focus goes to the first field in the form's order.
    expect(await isFocused(url)).toBe(true);
    expect(page.url()).toContain("/submit");
  });

  it("types the webhook secret into a password box that the browser does not fill", async () => {
    const form = await openForm("webhook.deliver");
    const secret = form.getByLabel("Secret");
    expect(await secret.getAttribute("type")).toBe("password");
    expect(await secret.getAttribute("autocomplete")).toBe("off");
    expect(await descriptionOf(secret)).toContain("kept secret");
  });

  it("reads a picked file into the text, names the run after it, and shows its name and size", async () => {
    const form = await openForm();
    const content = "A document read from a file.\n\nIt has two paragraphs, and this is the second.";
    await form.getByTestId("file-input").setInputFiles({ name: "field-notes.txt", mimeType: "text/plain", buffer: Buffer.from(content) });
    await form.getByTestId("file-info").getByText(`field-notes.txt · ${Buffer.byteLength(content)} B`).waitFor({ timeout });
    expect(await textField(form).inputValue()).toBe(content);
    expect(await form.getByLabel("Title").inputValue()).toBe("field-notes");
    expect(await form.getByTestId("text-size").textContent()).toBe(`${content.length} characters`);
  });

  it("schedules a run for the run-at time, read in the user's time zone", async () => {
    const form = await openForm();
    await textField(form).fill("A document for later.");
    await form.getByLabel("Run at").fill("2099-01-01T09:00");
    await form.getByRole("button", { name: "Submit run" }).click();
    await page.waitForURL(runUrl, { timeout });
    const run = await api.jobs.get.query({ id: runIdOf(page.url()) });
    expect(run.status).toBe("scheduled");
    // 09:00 on the page's wall clock, whatever its zone.
    const expected = await page.evaluate(() => new Date(2099, 0, 1, 9, 0).toISOString());
    expect(new Date(run.runAt).toISOString()).toBe(expected);
    await page.getByTestId("run-detail").getByTestId("run-status").filter({ hasText: /^scheduled$/ }).first().waitFor({ timeout });
  });

  it("fits a phone's width, with the server's messages", async () => {
    const phone = await stack.newPage({ width: 375, height: 812 });
    await stack.signIn(phone, token, "/submit?type=webhook.deliver");
    const form = phone.getByTestId("submit-form");
    await form.waitFor({ timeout });
    await form.getByLabel("URL").fill("not a url");
    await form.getByLabel("Payload").fill("[1, 2, 3]");
    await form.getByRole("button", { name: "Submit run" }).click();
    await form.getByTestId("error-input.url").waitFor({ timeout });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await stack.screenshot(phone, "submit-375");
    await phone.setViewportSize({ width: 1280, height: 900 });
    await stack.screenshot(phone, "submit-desktop");
    await phone.close();
    // The refused submits' 400s (and the missing favicon's 404) are the only console errors: no exception, no CSP violation.
    expect(stack.pageErrors.filter((error) => !/^Failed to load resource: the server responded with a status of (400|404)/.test(error))).toEqual([]);
  });
});
