import { describe, expect, it } from "vitest";
import { toJSONSchema, z } from "zod";
import { documentAnalyze, webhookDeliver, type AnyJobDefinition } from "@conveyor/jobs";
import { formModelOf } from "./field-model";
import { buildInput, initialValues, issuePathOf } from "./form-values";

const modelOf = (job: AnyJobDefinition) => formModelOf(toJSONSchema(job.input, { io: "input", unrepresentable: "any" }));

describe("initialValues", () => {
  it("prefills every control with its default", () => {
    expect(initialValues(modelOf(documentAnalyze))).toEqual({ title: "", text: "", topKeywords: "10" });
    expect(initialValues(modelOf(webhookDeliver))).toEqual({ url: "", payload: "", headers: "{}", requestTimeoutMs: "10000", secret: "" });
  });
});

describe("buildInput", () => {
  it("leaves out empty optional fields, sends numbers as numbers, and an empty required text as typed", () => {
    const model = modelOf(documentAnalyze);
    expect(buildInput(model, { title: "", text: "", topKeywords: "" })).toEqual({ ok: true, input: { text: "" } });
    expect(buildInput(model, { title: "Report", text: "Words.", topKeywords: "5" })).toEqual({
      ok: true,
      input: { title: "Report", text: "Words.", topKeywords: 5 },
    });
  });

  it("parses JSON boxes, and names a box that is not JSON, or a required one left empty, by its path", () => {
    const model = modelOf(webhookDeliver);
    const values = { ...initialValues(model), url: "https://example.com/hook", payload: '{"event": "done"}', headers: '{"x-a": "1"}' };
    expect(buildInput(model, values)).toEqual({
      ok: true,
      input: { url: "https://example.com/hook", payload: { event: "done" }, headers: { "x-a": "1" }, requestTimeoutMs: 10_000 },
    });
    const broken = buildInput(model, { ...values, payload: "{oops", headers: "" });
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.issues).toEqual([{ path: "input.payload", message: expect.stringMatching(/^not valid JSON: /) }]);
    expect(buildInput(model, { ...values, payload: "  " })).toEqual({ ok: false, issues: [{ path: "input.payload", message: "enter a JSON value, e.g. {}" }] });
  });

  it("builds nested objects, leaves out an untouched optional group, and sends null for an emptied nullable field", () => {
    const model = formModelOf(
      toJSONSchema(
        z.object({
          target: z.object({ host: z.string(), port: z.number() }),
          proxy: z.object({ host: z.string().optional() }).optional(),
          limit: z.number().nullable(),
          choice: z.enum(["a", "b"]).optional(),
          flag: z.boolean().optional(),
        }),
        { io: "input" },
      ),
    );
    expect(buildInput(model, { "target.host": "db", "target.port": "5432", "proxy.host": "", limit: "", choice: '"b"', flag: false })).toEqual({
      ok: true,
      input: { target: { host: "db", port: 5432 }, limit: null, choice: "b" },
    });
  });

  it("sends a whole-value input as the value itself", () => {
    const model = formModelOf(toJSONSchema(z.number(), { io: "input" }));
    expect(buildInput(model, { "": "42" })).toEqual({ ok: true, input: 42 });
    expect(issuePathOf({ key: "" })).toBe("input");
    expect(issuePathOf({ key: "target.host" })).toBe("input.target.host");
  });
});
