import {
  InvalidRequestError,
  prepareBatch,
  prepareSubmission,
  UnknownJobTypeError,
  type BatchItem,
  type PreparedSubmission,
} from "@conveyor/db";
import { submitOptionsSchema, type Catalog, type JobInput, type JobType, type SubmitOptions } from "@conveyor/jobs";
import type { StandardIssue, StandardResult, StandardSchema } from "./standard-schema";

/** What a client sends to `jobs.submit`: `input` is typed by the contract that `type` names. */
export type SubmitInput<C extends Catalog> = {
  [K in JobType<C>]: { type: K; input: JobInput<C[K]>; options?: SubmitOptions };
}[JobType<C>];

/**
 * The parser of `jobs.submit`: typed for clients as a union over the
 * catalogue, validated against the contract that `type` names (so the errors
 * say "input.text: …", not "one of several shapes did not match"), and
 * producing a submission ready to write.
 */
export function submitInputParser<C extends Catalog>(catalog: C): StandardSchema<SubmitInput<C>, PreparedSubmission> {
  return standardSchema((value) => {
    const item = readItem(value, []);
    if ("issues" in item) return item;
    return validated(() => prepareSubmission(catalog, item), ["input"]);
  });
}

/** The parser of `jobs.submitMany`: `{ items: [...] }`, all valid or the whole batch refused. */
export function submitManyInputParser<C extends Catalog>(
  catalog: C,
): StandardSchema<{ items: SubmitInput<C>[] }, PreparedSubmission[]> {
  return standardSchema((value) => {
    if (typeof value !== "object" || value === null || !("items" in value) || !Array.isArray(value.items)) {
      return { issues: [{ message: "expected an array of { type, input, options? }", path: ["items"] }] };
    }
    const items: BatchItem[] = [];
    for (const [index, raw] of value.items.entries()) {
      const item = readItem(raw, ["items", index]);
      if ("issues" in item) return item;
      items.push(item);
    }
    return validated(() => prepareBatch(catalog, items), ["items"]);
  });
}

function standardSchema<Input, Output>(validate: (value: unknown) => StandardResult<Output>): StandardSchema<Input, Output> {
  return { "~standard": { version: 1, vendor: "conveyor", validate } };
}

/** Check the envelope of one submission: an object with a string `type` and nothing unexpected. */
function readItem(value: unknown, at: PropertyKey[]): BatchItem | { issues: StandardIssue[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { issues: [{ message: "expected an object { type, input, options? }", path: at }] };
  }
  const unknownKeys = Object.keys(value).filter((key) => !["type", "input", "options"].includes(key));
  if (unknownKeys.length > 0) return { issues: unknownKeys.map((key) => ({ message: "unknown field", path: [...at, key] })) };
  if (!("type" in value) || typeof value.type !== "string") {
    return { issues: [{ message: "expected a job type name", path: [...at, "type"] }] };
  }
  // Named one by one ("options.delay: unknown field"), not as zod's 'options: Unrecognized key: "delay"'.
  if ("options" in value && typeof value.options === "object" && value.options !== null && !Array.isArray(value.options)) {
    const unknownOptions = Object.keys(value.options).filter((key) => !Object.hasOwn(submitOptionsSchema.shape, key));
    if (unknownOptions.length > 0) return { issues: unknownOptions.map((key) => ({ message: "unknown field", path: [...at, "options", key] })) };
  }
  const item = { type: value.type, input: "input" in value ? value.input : undefined, options: "options" in value ? value.options : undefined };
  const unstorable = unstorableAt(item.input, [...at, "input"]) ?? unstorableAt(item.options, [...at, "options"]);
  return unstorable ? { issues: [unstorable] } : item;
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * PostgreSQL stores no NUL character (U+0000) in text or jsonb, and no lone
 * UTF-16 surrogate in jsonb. Such a string is refused here, naming the field,
 * instead of failing the insert: its error would quote the whole row, secrets included.
 */
function unstorableAt(root: unknown, rootPath: PropertyKey[]): StandardIssue | undefined {
  // Depth first without recursion, and each path kept as a link to its parent's (materialised only
  // for the issue), so that a deeply nested input costs linear time and reaches the contract's check.
  type Where = { parent: Where | null; key: PropertyKey } | null;
  const pathOf = (where: Where): PropertyKey[] => {
    const keys: PropertyKey[] = [];
    for (let at = where; at; at = at.parent) keys.push(at.key);
    return [...rootPath, ...keys.reverse()];
  };
  const pending: [unknown, Where][] = [[root, null]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, where] = next;
    if (typeof value === "string") {
      const problem = unstorableText(value);
      if (problem) return { message: `contains ${problem}, which cannot be stored`, path: pathOf(where) };
    } else if (typeof value === "object" && value !== null) {
      // Pushed last first, so that the first bad field in document order is the one named.
      for (const [key, child] of Object.entries(value).reverse()) {
        const problem = unstorableText(key);
        if (problem) return { message: `has a key with ${problem}, which cannot be stored`, path: pathOf(where) };
        pending.push([child, { parent: where, key: Array.isArray(value) ? Number(key) : key }]);
      }
    }
  }
  return undefined;
}

function unstorableText(text: string): string | undefined {
  if (text.includes("\u0000")) return "a NUL character (\\u0000)";
  if (loneSurrogate.test(text)) return "a lone UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

/** Run the data layer's validation, reporting its errors as Standard Schema issues. */
function validated<Output>(prepare: () => Output, inputPath: PropertyKey[]): StandardResult<Output> {
  try {
    return { value: prepare() };
  } catch (error) {
    // The contract's schema recurses into nested values; thousands of levels exhaust the stack.
    if (error instanceof RangeError) return { issues: [{ message: "is nested too deeply to validate", path: inputPath }] };
    if (error instanceof InvalidRequestError) {
      return { issues: error.issues.map((issue) => ({ message: issue.message, path: issue.path.split(".") })) };
    }
    if (error instanceof UnknownJobTypeError) return { issues: [{ message: error.message.replace(/^type: /, ""), path: ["type"] }] };
    throw error;
  }
}
