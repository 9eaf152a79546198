import { InvalidRequestError, prepareSubmission, UnknownJobTypeError, type PreparedSubmission } from "@conveyor/db";
import type { Catalog, JobInput, JobType, SubmitOptions } from "@conveyor/jobs";
import type { StandardSchema } from "./standard-schema";

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
  return {
    "~standard": {
      version: 1,
      vendor: "conveyor",
      validate(value) {
        if (typeof value !== "object" || value === null) {
          return { issues: [{ message: "expected an object { type, input, options? }" }] };
        }
        const record = value as Record<string, unknown>;
        const unknownKeys = Object.keys(record).filter((key) => !["type", "input", "options"].includes(key));
        if (unknownKeys.length > 0) {
          return { issues: unknownKeys.map((key) => ({ message: "unknown field", path: [key] })) };
        }
        if (typeof record.type !== "string") return { issues: [{ message: "expected a job type name", path: ["type"] }] };
        try {
          return { value: prepareSubmission(catalog, { type: record.type, input: record.input, options: record.options }) };
        } catch (error) {
          if (error instanceof InvalidRequestError) {
            return { issues: error.issues.map((issue) => ({ message: issue.message, path: issue.path.split(".") })) };
          }
          if (error instanceof UnknownJobTypeError) {
            return { issues: [{ message: error.message.replace(/^type: /, ""), path: ["type"] }] };
          }
          throw error;
        }
      },
    },
  };
}
