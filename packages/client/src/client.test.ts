import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { readRunEvents, systemViewer } from "@conveyor/db";
import { createConveyorClient, RunCancelledError, RunFailedError, type AppRouter, type ConveyorClient, type RunEvent } from "./index";
import { applyRunEvent, predates } from "./live-run";
import { documentOf, startTestStack } from "./testing/stack";
import { startTcpProxy } from "@conveyor/api/testing/tcp-proxy";

const stack = await startTestStack();
let token: string;
let conveyor: ConveyorClient;

beforeAll(async () => {
  token = await stack.token({ ownerId: "alice", role: "user" });
  conveyor = createConveyorClient({ url: stack.api.url, token });
});

/**
 * Check a run's events as received against the stored ones: in order, none
 * repeated, none lost, except progress reports that a newer one superseded
 * while the stream was behind (the API sends a run's latest progress rather
 * than a backlog). Returns how many progress reports were superseded.
 */
async function expectAllEventsOnce(runId: string, received: readonly { id: string; kind: string }[]): Promise<number> {
  const stored = (await readRunEvents(stack.db, systemViewer, runId, null)).map((event) => ({ id: String(event.id), kind: event.kind }));
  const ids = received.map((event) => event.id);
  expect(new Set(ids).size).toBe(ids.length);
  const storedIds = stored.map((event) => event.id);
  expect(ids).toEqual(storedIds.filter((id) => ids.includes(id)));
  const missing = stored.filter((event) => !ids.includes(event.id));
  expect(missing.filter((event) => event.kind !== "progress")).toEqual([]);
  // The last progress report before the outcome is never superseded.
  const lastProgress = stored.findLast((event) => event.kind === "progress");
  if (lastProgress) expect(ids).toContain(lastProgress.id);
  return missing.length;
}

/** Every event of an iterator, failing after `timeoutMs` rather than hanging. */
async function drain<T>(events: AsyncIterable<T>, onEach: (event: T) => void = () => {}, timeoutMs = 20_000): Promise<T[]> {
  const seen: T[] = [];
  const timeout = AbortSignal.timeout(timeoutMs);
  for await (const event of events) {
    timeout.throwIfAborted();
    seen.push(event);
    onEach(event);
  }
  return seen;
}

const tomorrow = () => new Date(Date.now() + 24 * 60 * 60 * 1000);

describe("submit, result, events", () => {
  it("resolves result() with the typed output and streams the whole history in order", async () => {
    const run = await conveyor.submit("document.analyze", { text: documentOf(20_000), title: "Long" });
    expect(run).toMatchObject({ status: "queued", deduplicated: false });

    const [output, events] = await Promise.all([run.result(), drain(run.events())]);
    expect(output.sentences).toBe(20_000);
    expect(output.keywords.map((keyword) => keyword.word)).toContain("conveyor");

    expect(events.map((event) => event.kind).slice(0, 2)).toEqual(["queued", "started"]);
    expect(events.at(-1)?.kind).toBe("completed");
    const percents = events.flatMap((event) => (event.kind === "progress" ? [event.progress.percent] : []));
    expect(percents.length).toBeGreaterThan(0);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    await expectAllEventsOnce(run.id, events);
  });

  it("resolves at once for a run that already completed, from a handle made from its id", async () => {
    const submitted = await conveyor.submit("document.analyze", { text: "Done before anyone asks." });
    await submitted.result();
    const later = conveyor.run(submitted.id);
    const output = await later.result();
    expect(output).toMatchObject({ sentences: 1 });
    const run = await conveyor.get(submitted.id);
    expect(run).toMatchObject({ id: submitted.id, type: "document.analyze", status: "completed" });
    // Resuming after the last event: nothing is left, and the iterator ends.
    const events = await drain(later.events());
    expect(await drain(later.events({ lastEventId: events.at(-1)?.id ?? null }))).toEqual([]);
    expect(await drain(later.events({ lastEventId: events.at(1)?.id ?? null }))).toEqual(events.slice(2));
  });

  it("rejects result() with RunFailedError carrying the error and attempts", async () => {
    const run = await conveyor.submit("webhook.deliver", { url: "http://127.0.0.1:9/hook", payload: { n: 1 } }, { maxAttempts: 1 });
    const failure = await run.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RunFailedError);
    expect(failure).toMatchObject({ runId: run.id, type: "webhook.deliver", attempts: 1 });
    expect((failure as RunFailedError).error).toMatch(/\S/);
    expect((failure as RunFailedError).message).toContain(`run ${run.id} (webhook.deliver) failed after 1 attempt: `);
  });

  it("cancels a run: result() rejects with RunCancelledError and events() ends with the cancellation", async () => {
    const run = await conveyor.submit("document.analyze", { text: "Not before tomorrow." }, { runAt: tomorrow() });
    expect(run.status).toBe("scheduled");
    const outcome = run.result().catch((error: unknown) => error);
    expect(await run.cancel()).toEqual({ id: run.id, status: "cancelled" });
    const failure = await outcome;
    expect(failure).toBeInstanceOf(RunCancelledError);
    expect(failure).toMatchObject({ runId: run.id, type: "document.analyze" });
    expect((await drain(run.events())).map((event) => event.kind)).toEqual(["queued", "cancelled"]);
    // Cancelling a finished run is a conflict, as the API says.
    const again = await run.cancel().catch((error: unknown) => error);
    expect((again as TRPCClientError<AppRouter>).data?.code).toBe("CONFLICT");
  });

  it("stops waiting when the signal aborts, and a loop left early unsubscribes", async () => {
    const run = await conveyor.submit("document.analyze", { text: "Waiting." }, { runAt: tomorrow() });
    const controller = new AbortController();
    const waiting = run.result({ signal: controller.signal }).catch((error: unknown) => error);
    controller.abort(new Error("gave up"));
    expect(await waiting).toMatchObject({ message: "gave up" });
    for await (const event of run.events()) {
      expect(event.kind).toBe("queued");
      break;
    }
    await run.cancel();
  });

  it("submits a batch and returns a typed handle per item, in order", async () => {
    const handles = await conveyor.submitMany([
      { type: "document.analyze", input: { text: "First of two." } },
      { type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: [1, 2] }, options: { runAt: tomorrow() } },
    ]);
    expect(handles.map((handle) => handle.status)).toEqual(["queued", "scheduled"]);
    const [analyze, webhook] = handles;
    expect((await analyze.result()).words).toBe(3);
    await webhook.cancel();
    await expect(webhook.result()).rejects.toBeInstanceOf(RunCancelledError);
  });

  it("refuses bad input with BAD_REQUEST naming the field", async () => {
    const refused = await conveyor.submit("document.analyze", { text: "" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect((refused as TRPCClientError<AppRouter>).message).toBe("input.text: the document is empty");
  });

  it("lists runs through the passthrough, filtered by type", async () => {
    const run = await conveyor.submit("webhook.deliver", { url: "http://127.0.0.1:9/list", payload: {} }, { runAt: tomorrow() });
    const page = await conveyor.list({ type: "webhook.deliver", status: "scheduled", limit: 100 });
    expect(page.items.map((item) => item.id)).toContain(run.id);
    expect(page.items.every((item) => item.type === "webhook.deliver")).toBe(true);
    expect((await conveyor.raw.tokens.whoami.query()).ownerId).toBe("alice");
    await run.cancel();
  });
});

describe("live run state (the hooks' reducer)", () => {
  it("folding a run's events onto its first read gives the state the API reads at the end", async () => {
    const completed = await conveyor.submit("document.analyze", { text: documentOf(5_000) });
    const failed = await conveyor.submit("webhook.deliver", { url: "http://127.0.0.1:9/fold", payload: {} }, { maxAttempts: 1 });
    for (const run of [completed, failed].map((handle) => conveyor.run(handle.id))) {
      const first = await conveyor.raw.jobs.get.query({ id: run.id });
      const events = await drain(run.events());
      const folded = events.reduce((state, event) => (predates(state, event) ? state : applyRunEvent(state, event)), first);
      const last = await conveyor.raw.jobs.get.query({ id: run.id });
      expect({ status: folded.status, error: folded.error, percent: folded.progress.percent }).toEqual({
        status: last.status,
        error: last.error,
        percent: last.progress.percent,
      });
      // Replayed onto the final read, the history changes nothing.
      expect(events.reduce((state, event) => (predates(state, event) ? state : applyRunEvent(state, event)), last)).toEqual(last);
    }
  });
});

describe("a retried run", () => {
  it("events() and result() follow the retry: the replayed earlier failure does not end the stream", async () => {
    // The receiver refuses the first delivery and holds the second until the test lets it answer.
    let requests = 0;
    let secondArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (secondArrived = resolve));
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const receiver = createServer((request, response) => {
      request.resume();
      if (++requests === 1) return void response.writeHead(503).end("busy");
      secondArrived();
      void answered.then(() => response.writeHead(200).end("ok"));
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const run = await conveyor.submit("webhook.deliver", { url, payload: { order: 7 } }, { maxAttempts: 1 });
      await expect(run.result()).rejects.toBeInstanceOf(RunFailedError);
      await conveyor.raw.jobs.retry.mutate({ id: run.id });
      await arrived;

      // The API's own stream replays the failure, goes on with the retry, and ends with its outcome.
      const raw = await new Promise<string[]>((resolve, reject) => {
        const kinds: string[] = [];
        let starts = 0;
        conveyor.raw.jobs.events.subscribe(
          { id: run.id },
          {
            onData: ({ data }) => {
              kinds.push(data.kind);
              if (data.kind === "started" && ++starts === 2) answer();
            },
            onComplete: () => resolve(kinds),
            onError: reject,
          },
        );
      });
      const lifecycle = ["queued", "started", "failed", "queued", "started", "completed"];
      expect(raw.filter((kind) => kind !== "log")).toEqual(lifecycle);

      // The handle sees the same history, once, and the retry's result.
      const events = await drain(run.events());
      expect(events.map((event) => event.kind).filter((kind) => kind !== "log")).toEqual(lifecycle);
      await expectAllEventsOnce(run.id, events);
      expect(await run.result()).toMatchObject({ status: 200 });
    } finally {
      answer();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

describe("dropped connections", () => {
  it.each(["sse", "websocket"] as const)("events() over %s resume by themselves, losing and repeating nothing", async (subscriptions) => {
    const proxy = await startTcpProxy({ host: "127.0.0.1", port: Number(new URL(stack.api.url).port) });
    const viaProxy = createConveyorClient({ url: `http://127.0.0.1:${proxy.port}/trpc`, token, subscriptions });
    try {
      const run = await viaProxy.submit("document.analyze", { text: documentOf(60_000) });
      let cuts = 0;
      const cutAt = new Set(["started", "progress"]);
      const events = await drain(run.events(), (event: RunEvent<"document.analyze">) => {
        // Cut after the first started and after the first progress events: twice mid-stream.
        if (cutAt.delete(event.kind)) {
          cuts++;
          proxy.cutAll();
        }
      });
      expect(cuts).toBe(2);
      expect(events.at(-1)?.kind).toBe("completed");
      await expectAllEventsOnce(run.id, events);
      // result() through the same flaky proxy.
      const second = await viaProxy.submit("document.analyze", { text: documentOf(30_000) });
      const result = second.result();
      for await (const event of second.events()) {
        if (event.kind === "progress") {
          proxy.cutAll();
          break;
        }
      }
      expect((await result).sentences).toBe(30_000);
    } finally {
      viaProxy.close();
      await proxy.close();
    }
  });
});
