import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  backoffDelayMs,
  catalog,
  defineCatalog,
  defineHandlers,
  defineJob,
  documentAnalyze,
  pruneFinishedRuns,
  webhookDeliver,
  type JobHandler,
  type JobHandlers,
  type JobInput,
  type JobOutput,
  type JobProgressData,
  type ParsedJobInput,
} from "./index";

describe("defineJob", () => {
  it("fills in the defaults a contract does not set", () => {
    const job = defineJob({
      name: "image.resize",
      description: "Resize an image",
      input: z.object({ width: z.number() }),
      output: z.object({}),
      progress: z.object({}),
      defaults: { timeoutMs: 60_000 },
    });
    expect(job.defaults).toEqual({
      maxAttempts: 3,
      maxLostAttempts: 3,
      timeoutMs: 60_000,
      priority: "normal",
      queue: "default",
      queueConcurrency: 1,
      maxInputBytes: 1_048_576,
      backoff: { type: "exponential", delayMs: 5_000, factor: 5, maxDelayMs: 3_600_000, jitter: 0 },
      retention: { completedMs: 7 * 86_400_000, failedMs: 30 * 86_400_000, cancelledMs: 7 * 86_400_000 },
    });
  });

  it("completes a partial backoff and computes the waits it declares", () => {
    const job = defineJob({
      name: "sync.catalogue",
      description: "Sync a catalogue",
      input: z.object({}),
      output: z.object({}),
      progress: z.object({}),
      defaults: { backoff: { type: "exponential", delayMs: 5_000, factor: 5 } },
    });
    expect([1, 2, 3].map((attempt) => backoffDelayMs(job.defaults.backoff, attempt))).toEqual([5_000, 25_000, 125_000]);
    expect(backoffDelayMs({ type: "fixed", delayMs: 2_000, jitter: 0 }, 7)).toBe(2_000);
    expect(backoffDelayMs({ type: "exponential", delayMs: 1_000, factor: 10, maxDelayMs: 60_000, jitter: 0 }, 5)).toBe(60_000);
    // Jitter takes up to its fraction off the wait.
    expect(backoffDelayMs({ type: "fixed", delayMs: 1_000, jitter: 0.5 }, 1, () => 1)).toBe(500);
    expect(() =>
      defineJob({
        name: "bad.backoff",
        description: "A backoff that waits a negative time",
        input: z.object({}),
        output: z.object({}),
        progress: z.object({}),
        defaults: { backoff: { type: "fixed", delayMs: -1 } },
      }),
    ).toThrow(/backoff\.delayMs/);
  });

  it("refuses invalid defaults, naming the field", () => {
    const define = () =>
      defineJob({
        name: "bad",
        description: "",
        input: z.object({}),
        output: z.object({}),
        progress: z.object({}),
        defaults: { maxAttempts: 0, queue: "Has Spaces" },
      });
    expect(define).toThrow(/defineJob\(bad\): invalid defaults/);
    expect(define).toThrow(/maxAttempts/);
    expect(define).toThrow(/queue/);
  });
});

describe("defineCatalog", () => {
  it("keys job types by name", () => {
    expect(Object.keys(catalog).sort()).toEqual(["document.analyze", "runs.prune", "webhook.deliver"]);
    expect(catalog["document.analyze"]).toBe(documentAnalyze);
  });

  it("refuses two job types with one name", () => {
    expect(() => defineCatalog([documentAnalyze, documentAnalyze])).toThrow(/"document.analyze" is defined twice/);
  });

  it("refuses two job types that give one queue different concurrencies", () => {
    const onQueue = (name: string, queueConcurrency: number) =>
      defineJob({ name, description: name, input: z.object({}), output: z.object({}), progress: z.object({}), defaults: { queue: "mail", queueConcurrency } });
    expect(() => defineCatalog([onQueue("mail.send", 2), onQueue("mail.digest", 3)])).toThrow(
      'queue "mail" has queueConcurrency 2 in "mail.send" but 3 in "mail.digest"',
    );
  });
});

describe("contract validation", () => {
  it("accepts a document and applies defaults", () => {
    expect(documentAnalyze.input.parse({ text: "Hi." })).toEqual({ text: "Hi.", topKeywords: 10 });
  });

  it("rejects an empty document and an out-of-range option with readable messages", () => {
    const result = documentAnalyze.input.safeParse({ text: "", topKeywords: 99 });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((issue) => [issue.path.join("."), issue.message]);
    expect(issues).toContainEqual(["text", "the document is empty"]);
    expect(issues?.map(([path]) => path)).toContain("topKeywords");
  });

  it("accepts only http(s) webhook targets", () => {
    expect(webhookDeliver.input.safeParse({ url: "ftp://example.test/x", payload: 1 }).error?.issues[0]?.message).toBe(
      "must be an http(s) URL",
    );
    expect(webhookDeliver.input.parse({ url: "https://example.test/x", payload: { a: [1] } })).toMatchObject({
      requestTimeoutMs: 10_000,
      headers: {},
    });
  });
});

describe("types flow from the zod contract", () => {
  it("infers input before and after parsing, output and progress data", () => {
    expectTypeOf<JobInput<typeof documentAnalyze>>().toEqualTypeOf<{ title?: string; text: string; topKeywords?: number }>();
    expectTypeOf<ParsedJobInput<typeof documentAnalyze>>().toEqualTypeOf<{ title?: string; text: string; topKeywords: number }>();
    expectTypeOf<JobOutput<typeof documentAnalyze>["keywords"]>().toEqualTypeOf<{ word: string; count: number }[]>();
    expectTypeOf<JobProgressData<typeof documentAnalyze>["stage"]>().toEqualTypeOf<"reading" | "counting" | "keywords" | "scoring">();
  });

  type Handlers = JobHandlers<typeof catalog>;
  const analyze: JobHandler<typeof documentAnalyze> = async () => ({
    characters: 0, words: 0, uniqueWords: 0, sentences: 0, paragraphs: 0, syllables: 0,
    averageWordLength: 0, averageSentenceLength: 0, readingEase: 0, gradeLevel: 0, readingTimeMinutes: 0, keywords: [],
  });
  const deliver: JobHandler<typeof webhookDeliver> = async () => ({ status: 200, durationMs: 1, responseBody: "" });
  const prune: JobHandler<typeof pruneFinishedRuns> = async () => ({ deleted: {} });

  it("accepts a handler map with one correctly typed handler per job type", () => {
    expectTypeOf({ "document.analyze": analyze, "webhook.deliver": deliver, "runs.prune": prune }).toExtend<Handlers>();
    const handlers = defineHandlers(catalog, { "document.analyze": analyze, "webhook.deliver": deliver, "runs.prune": prune });
    expectTypeOf(handlers["webhook.deliver"]).toEqualTypeOf<JobHandler<typeof webhookDeliver>>();
  });

  it("rejects a map that misses a handler", () => {
    expectTypeOf<{ "document.analyze": typeof analyze }>().not.toExtend<Handlers>();
  });

  it("rejects a handler whose result breaks its output schema", () => {
    const wrongResult = async () => ({ status: "ok" });
    expectTypeOf<{
      "document.analyze": typeof analyze;
      "webhook.deliver": typeof wrongResult;
      "runs.prune": typeof prune;
    }>().not.toExtend<Handlers>();
  });

  it("rejects a handler that expects another job's input", () => {
    const wrongInput = async (input: { url: string; payload: string }) => ({ status: 200, durationMs: 1, responseBody: input.url });
    expectTypeOf<{
      "document.analyze": typeof wrongInput;
      "webhook.deliver": typeof deliver;
      "runs.prune": typeof prune;
    }>().not.toExtend<Handlers>();
  });

  it("types ctx.progress data from the contract", () => {
    type Progress = Parameters<Parameters<JobHandler<typeof documentAnalyze>>[1]["progress"]>[2];
    expectTypeOf<Progress>().toEqualTypeOf<JobProgressData<typeof documentAnalyze> | undefined>();
  });
});
