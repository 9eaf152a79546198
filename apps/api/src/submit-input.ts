import {
  InvalidRequestError,
  prepareBatch,
  prepareSubmission,
  UnknownJobTypeError,
  type BatchItem,
  type PreparedSubmission,
} from "@conveyor/db";
import type { Catalog, JobInput, JobType, SubmitOptions } from "@conveyor/jobs";
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
    return validated(() => prepareSubmission(catalog, item));
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
    return validated(() => prepareBatch(catalog, items));
  });
}

function standardSchema<Input, Output>(validate: (value: unknown) => StandardResult<Output>): StandardSchema<Input, Output> {
  return { "~standard": { version: 1, vendor: "conveyor", validate } };
}

/** Check the envelope of one submission: an object with a string `type` and nothing unexpected. */
function readItem(value: unknown, at: PropertyKey[]): BatchItem | { issues: StandardIssue[] } {
  if (typeof value !== "object" || value === null) {
    return { issues: [{ message: "expected an object { type, input, options? }", path: at }] };
  }
  const unknownKeys = Object.keys(value).filter((key) => !["type", "input", "options"].includes(key));
  if (unknownKeys.length > 0) return { issues: unknownKeys.map((key) => ({ message: "unknown field", path: [...at, key] })) };
  if (!("type" in value) || typeof value.type !== "string") {
    return { issues: [{ message: "expected a job type name", path: [...at, "type"] }] };
  }
  return { type: value.type, input: "input" in value ? value.input : undefined, options: "options" in value ? value.options : undefined };
}

/** Run the data layer's validation, reporting its errors as Standard Schema issues. */
function validated<Output>(prepare: () => Output): StandardResult<Output> {
  try {
    return { value: prepare() };
  } catch (error) {
    if (error instanceof InvalidRequestError) {
      return { issues: error.issues.map((issue) => ({ message: issue.message, path: issue.path.split(".") })) };
    }
    if (error instanceof UnknownJobTypeError) return { issues: [{ message: error.message.replace(/^type: /, ""), path: ["type"] }] };
    throw error;
  }
}
