import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineCatalog, defineJob, documentAnalyze, type JobOutput, type JobProgressData } from "@conveyor/jobs";
import { createConveyorClient, type ConveyorCatalog, type Run, type RunEvent, type RunHandle } from "./index";
import { useSubmit } from "./react";
import { enqueue, catalog } from "./enqueue";

// Type-level tests: `pnpm exec tsc --noEmit -p packages/client` checks them (every
// `@ts-expect-error` must meet an error). The functions are never called: no API is needed.
const conveyor = createConveyorClient({ url: "http://127.0.0.1:1/trpc", token: "cvy_types" });
type AnalyzeOutput = JobOutput<typeof documentAnalyze>;

describe("createConveyorClient types", () => {
  it("types submit's input by the job type, and refuses a wrong input or job name", () => {
    const compileOnly = async () => {
      await conveyor.submit("document.analyze", { text: "Hello.", topKeywords: 5 });
      await conveyor.submit("webhook.deliver", { url: "https://example.test/hook", payload: { any: ["json"] } }, { priority: "high" });
      // @ts-expect-error: `text` must be a string
      await conveyor.submit("document.analyze", { text: 42 });
      // @ts-expect-error: `text` is required
      await conveyor.submit("document.analyze", { title: "No text" });
      // @ts-expect-error: a misspelt field (the contract is strict)
      await conveyor.submit("document.analyze", { text: "x", topKeyword: 3 });
      // @ts-expect-error: webhook.deliver's input given to document.analyze
      await conveyor.submit("document.analyze", { url: "https://example.test", payload: {} });
      // @ts-expect-error: no such job type
      await conveyor.submit("document.summon", { text: "x" });
      // @ts-expect-error: no such option
      await conveyor.submit("document.analyze", { text: "x" }, { delay: 5 });
    };
    expectTypeOf(compileOnly).toBeFunction();
  });

  it("types result() as the contract's output, and refuses a field the output lacks", () => {
    const compileOnly = async () => {
      const run = await conveyor.submit("document.analyze", { text: "Hello." });
      expectTypeOf(run).toEqualTypeOf<RunHandle<"document.analyze">>();
      const output = await run.result();
      expectTypeOf(output).toEqualTypeOf<AnalyzeOutput>();
      expectTypeOf(output.readingEase).toEqualTypeOf<number>();
      expectTypeOf(output.keywords).toEqualTypeOf<{ word: string; count: number }[]>();
      // @ts-expect-error: document.analyze's output has no `status`
      void output.status;
      const delivered = await (await conveyor.submit("webhook.deliver", { url: "https://example.test", payload: null })).result();
      expectTypeOf(delivered.status).toEqualTypeOf<number>();
      // @ts-expect-error: webhook.deliver's output has no `readingEase`
      void delivered.readingEase;
    };
    expectTypeOf(compileOnly).toBeFunction();
    expectTypeOf<RunHandle<"document.analyze">["result"]>().returns.resolves.toEqualTypeOf<AnalyzeOutput>();
  });

  it("types events: progress data by the contract, after narrowing on kind", () => {
    const compileOnly = async (run: RunHandle<"document.analyze">) => {
      for await (const event of run.events()) {
        expectTypeOf(event.type).toEqualTypeOf<"document.analyze">();
        // Optional without narrowing, present after it.
        expectTypeOf(event.progress?.percent).toEqualTypeOf<number | undefined>();
        if (event.kind === "progress") {
          expectTypeOf(event.progress.data).toEqualTypeOf<JobProgressData<typeof documentAnalyze> | null>();
          expectTypeOf(event.progress.data?.stage).toEqualTypeOf<"reading" | "counting" | "keywords" | "scoring" | undefined>();
        }
        if (event.kind === "log") expectTypeOf(event.log.message).toEqualTypeOf<string>();
        // @ts-expect-error: not an event kind
        if (event.kind === "finished") break;
      }
    };
    expectTypeOf(compileOnly).toBeFunction();
    expectTypeOf<RunEvent<"document.analyze">["kind"]>().toEqualTypeOf<
      "queued" | "started" | "progress" | "log" | "retrying" | "completed" | "failed" | "cancelled"
    >();
  });

  it("types submitMany's handles item by item, and get/list like the API", () => {
    const compileOnly = async () => {
      const [analyze, webhook] = await conveyor.submitMany([
        { type: "document.analyze", input: { text: "One." } },
        { type: "webhook.deliver", input: { url: "https://example.test", payload: [1, 2] } },
      ]);
      expectTypeOf(analyze).toEqualTypeOf<RunHandle<"document.analyze">>();
      expectTypeOf(webhook).toEqualTypeOf<RunHandle<"webhook.deliver">>();
      // @ts-expect-error: a wrong input inside a batch
      await conveyor.submitMany([{ type: "document.analyze", input: { text: 1 } }]);
      const run = await conveyor.get("00000000-0000-0000-0000-000000000000");
      if (run.type === "document.analyze") expectTypeOf(run.output).toEqualTypeOf<AnalyzeOutput | null>();
      const page = await conveyor.list({ status: "failed", limit: 5 });
      expectTypeOf(page.nextCursor).toEqualTypeOf<string | null>();
      // @ts-expect-error: not a status
      await conveyor.list({ status: "exploded" });
    };
    expectTypeOf(compileOnly).toBeFunction();
    // The client's run is a union narrowed by `type` (the API's RouterOutputs["jobs"]["get"], as
    // tRPC serialises it, is one flattened object whose `input` is not the contract's).
    const narrow = (run: Run<keyof ConveyorCatalog & string>) => {
      if (run.type === "document.analyze") expectTypeOf(run.input.text).toEqualTypeOf<string>();
      if (run.type === "webhook.deliver") expectTypeOf(run.output?.status).toEqualTypeOf<number | undefined>();
    };
    expectTypeOf(narrow).toBeFunction();
  });

  it("is typed by another catalogue when given one", () => {
    const resize = defineJob({
      name: "image.resize",
      description: "Resize an image",
      input: z.strictObject({ url: z.url(), width: z.number().int() }),
      output: z.object({ url: z.string(), bytes: z.number() }),
      progress: z.object({}),
    });
    const images = defineCatalog([resize]);
    const client = createConveyorClient<typeof images>({ url: "http://127.0.0.1:1/trpc" });
    const compileOnly = async () => {
      const run = await client.submit("image.resize", { url: "https://example.test/a.png", width: 100 });
      expectTypeOf(await run.result()).toEqualTypeOf<{ url: string; bytes: number }>();
      // @ts-expect-error: not a job type of this catalogue
      await client.submit("document.analyze", { text: "x" });
    };
    expectTypeOf(compileOnly).toBeFunction();
  });
});

describe("useSubmit and enqueue types", () => {
  it("types useSubmit's variables by the job type", () => {
    const compileOnly = () => {
      const submit = useSubmit("document.analyze");
      submit.mutate({ input: { text: "Hello." }, options: { idempotencyKey: "k" } });
      // @ts-expect-error: a wrong input
      submit.mutate({ input: { text: "Hello.", colour: "red" } });
      // @ts-expect-error: no such job type
      useSubmit("document.summon");
    };
    expectTypeOf(compileOnly).toBeFunction();
  });

  it("types enqueue's input by the job type", () => {
    const compileOnly = async (tx: Parameters<typeof enqueue>[0]) => {
      await enqueue(tx, catalog, { type: "webhook.deliver", input: { url: "https://example.test", payload: { id: 1 } } });
      // @ts-expect-error: webhook.deliver needs a url
      await enqueue(tx, catalog, { type: "webhook.deliver", input: { payload: { id: 1 } } });
    };
    expectTypeOf(compileOnly).toBeFunction();
  });
});
