import { z } from "zod";
import type { FieldIssue } from "@conveyor/db";
import { toFieldIssues } from "@conveyor/db";
import type { AnyJobDefinition, Catalog, JobContext, JobHandler, JobHandlers, JobType } from "@conveyor/jobs";

/** A handler joined to its contract: takes the stored (untyped) input, parses it, and calls the handler. */
export interface BoundJob {
  job: AnyJobDefinition;
  invoke(rawInput: unknown, ctx: JobContext): { ok: true; result: Promise<unknown> } | { ok: false; issues: FieldIssue[] };
}

/** Join one job type to its handler; the generic keeps input and handler types in step. */
export function bindHandler<J extends AnyJobDefinition>(job: J, handler: JobHandler<J>): BoundJob {
  return {
    job,
    invoke(rawInput, ctx) {
      // z.safeParse keeps the parsed type tied to J (the method form loses it on a generic schema).
      const input = z.safeParse<J["input"]>(job.input, rawInput);
      if (!input.success) return { ok: false, issues: toFieldIssues(input.error, "input") };
      return { ok: true, result: handler(input.data, ctx) };
    },
  };
}

/** Bind every job type of a catalogue to its handler. */
export function bindCatalog<C extends Catalog>(catalog: C, handlers: JobHandlers<C>): Map<string, BoundJob> {
  const bound = new Map<string, BoundJob>();
  const bindOne = <K extends JobType<C>>(name: K) => bindHandler(catalog[name], handlers[name]);
  for (const name of Object.keys(catalog) as JobType<C>[]) bound.set(name, bindOne(name));
  return bound;
}
