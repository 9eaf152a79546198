import { describe, expect, it } from "vitest";
import { toJSONSchema, z } from "zod";
import { documentAnalyze, pruneFinishedRuns, webhookDeliver, type AnyJobDefinition } from "@conveyor/jobs";
import { formModelOf, humanize, leafFields, topFields, type FieldModel } from "./field-model";

/** The schema exactly as `jobs.types` sends it. */
const inputSchemaOf = (job: AnyJobDefinition) => toJSONSchema(job.input, { io: "input", unrepresentable: "any" });
const schemaOf = (schema: z.ZodType) => toJSONSchema(schema, { io: "input", unrepresentable: "any" });

function fieldsByKey(schema: unknown): Map<string, FieldModel> {
  return new Map(leafFields(topFields(formModelOf(schema))).map((field) => [field.key, field]));
}

describe("formModelOf, on the catalogue's contracts", () => {
  it("document.analyze: a title input, the text as a document textarea, a bounded whole number with its default", () => {
    const fields = fieldsByKey(inputSchemaOf(documentAnalyze));
    expect([...fields.keys()]).toEqual(["title", "text", "topKeywords"]);
    expect(fields.get("title")).toMatchObject({ kind: "text", multiline: false, required: false, maxLength: 200, label: "Title", hint: "Shown in lists; the document's first words when empty · up to 200 characters" });
    expect(fields.get("text")).toMatchObject({ kind: "text", multiline: true, acceptsFile: true, required: true, label: "Text" });
    expect(fields.get("topKeywords")).toMatchObject({
      kind: "number",
      integer: true,
      min: 1,
      max: 50,
      step: 1,
      required: false,
      defaultValue: "10",
      label: "Top keywords",
      hint: "How many keywords to return · a whole number from 1 to 50",
    });
  });

  it("webhook.deliver: a URL input, free JSON and a record as JSON boxes, the secret as a password", () => {
    const fields = fieldsByKey(inputSchemaOf(webhookDeliver));
    expect(fields.get("url")).toMatchObject({ kind: "text", inputType: "url", required: true, label: "URL" });
    // z.json() is a recursive $ref to an anyOf of every JSON type.
    expect(fields.get("payload")).toMatchObject({ kind: "json", required: true, defaultValue: "", hint: "Sent as the request body · any JSON value" });
    expect(fields.get("headers")).toMatchObject({ kind: "json", required: false, defaultValue: "{}", hint: "Extra request headers (shown with the run: no credentials here) · a JSON object" });
    expect(fields.get("requestTimeoutMs")).toMatchObject({ kind: "number", defaultValue: "10000", label: "Request timeout (ms)" });
    expect(fields.get("secret")).toMatchObject({ kind: "secret", required: false, minLength: 16, maxLength: 256 });
  });

  it("runs.prune: an object without fields is an empty form", () => {
    expect(formModelOf(inputSchemaOf(pruneFinishedRuns))).toEqual({ shape: "object", fields: [] });
  });
});

describe("formModelOf, on other shapes", () => {
  it("maps enums to selects, booleans to checkboxes and named objects to nested groups", () => {
    const schema = schemaOf(
      z.strictObject({
        mode: z.enum(["fast", "thorough"]).default("thorough"),
        level: z.enum(["a", "b"]).optional(),
        dryRun: z.boolean().default(false),
        notify: z.boolean().optional(),
        target: z.strictObject({ host: z.string().describe("where to connect"), port: z.number().int().min(1).max(65_535) }),
      }),
    );
    const model = formModelOf(schema);
    expect(model.shape).toBe("object");
    const fields = fieldsByKey(schema);
    expect(fields.get("mode")).toMatchObject({ kind: "select", defaultValue: '"thorough"', required: false });
    expect(fields.get("mode")?.kind === "select" && fields.get("mode")).toMatchObject({ options: [{ label: "fast" }, { label: "thorough" }] });
    expect(fields.get("level")).toMatchObject({ kind: "select", defaultValue: "" });
    expect(fields.get("dryRun")).toMatchObject({ kind: "boolean", defaultValue: false, hasDefault: true, label: "Dry run" });
    expect(fields.get("notify")).toMatchObject({ kind: "boolean", hasDefault: false });
    const group = topFields(model).find((field) => field.key === "target");
    expect(group).toMatchObject({ kind: "group", required: true, label: "Target" });
    expect(fields.get("target.host")).toMatchObject({ kind: "text", path: ["target", "host"], hint: "where to connect", required: true });
    expect(fields.get("target.port")).toMatchObject({ kind: "number", min: 1, max: 65_535 });
  });

  it("uses a textarea for long strings and for fields named text or body, with a file picker only when document-sized", () => {
    const fields = fieldsByKey(
      schemaOf(z.object({ note: z.string().max(2_000), body: z.string(), short: z.string().max(500), essay: z.string().max(1_000_000) })),
    );
    expect(fields.get("note")).toMatchObject({ multiline: true, acceptsFile: false });
    expect(fields.get("body")).toMatchObject({ multiline: true, acceptsFile: true });
    expect(fields.get("short")).toMatchObject({ multiline: false });
    expect(fields.get("essay")).toMatchObject({ multiline: true, acceptsFile: true });
  });

  it("treats X | null as X that may be emptied, and other unions, arrays and unknown values as JSON", () => {
    const fields = fieldsByKey(
      schemaOf(z.object({ limit: z.number().nullable(), either: z.union([z.string(), z.number()]), tags: z.array(z.string()), extra: z.unknown() })),
    );
    expect(fields.get("limit")).toMatchObject({ kind: "number", nullable: true, required: true });
    expect(fields.get("either")).toMatchObject({ kind: "json" });
    expect(fields.get("tags")).toMatchObject({ kind: "json", hint: "a JSON array", placeholder: "[]" });
    expect(fields.get("extra")).toMatchObject({ kind: "json", hint: "any JSON value" });
  });

  it("gives an input that is not an object one field holding the whole value", () => {
    expect(formModelOf(schemaOf(z.string().min(3)))).toMatchObject({ shape: "value", field: { kind: "text", key: "", label: "Input", required: true } });
  });

  it("falls back to one JSON box for a schema it cannot read, and to a JSON field for a dangling $ref", () => {
    expect(formModelOf("not a schema")).toMatchObject({ shape: "value", field: { kind: "json", key: "" } });
    expect(formModelOf({ type: "object", properties: { a: { type: 3 } } })).toMatchObject({ shape: "value", field: { kind: "json" } });
    const fields = fieldsByKey({ type: "object", properties: { a: { $ref: "#/$defs/missing" } }, additionalProperties: false });
    expect(fields.get("a")).toMatchObject({ kind: "json" });
  });

  it("prefills nested fields from an enclosing object's default", () => {
    const fields = fieldsByKey(schemaOf(z.object({ retry: z.object({ times: z.number(), backoff: z.boolean() }).default({ times: 3, backoff: true }) })));
    expect(fields.get("retry.times")).toMatchObject({ defaultValue: "3" });
    expect(fields.get("retry.backoff")).toMatchObject({ defaultValue: true });
  });
});

describe("humanize", () => {
  it("turns keys into labels", () => {
    expect(humanize("topKeywords")).toBe("Top keywords");
    expect(humanize("requestTimeoutMs")).toBe("Request timeout (ms)");
    expect(humanize("callback_url")).toBe("Callback URL");
    expect(humanize("url")).toBe("URL");
    expect(humanize("x")).toBe("X");
  });
});
