import { getUntypedClient, type TRPCClient } from "@trpc/client";
import { z } from "zod";
import type { AppRouter } from "@conveyor/api";
import type { SubmitOptions } from "./submit-options";

/** A submit built from a generated form: the job type is known only at run time, and the server validates the input. */
export interface SubmitRequest {
  type: string;
  input: unknown;
  options?: SubmitOptions;
}

const submittedSchema = z.object({ id: z.string(), status: z.string(), deduplicated: z.boolean() });
export type Submitted = z.infer<typeof submittedSchema>;

/**
 * `jobs.submit` for a form generated from a JSON Schema. The typed client
 * wants the input of one contract known at compile time, which a generated
 * form cannot prove; the untyped client (same links, same token) sends it as
 * data, the server's contract check is the one that counts, and the answer
 * is checked here rather than assumed.
 */
export async function submitRun(client: TRPCClient<AppRouter>, request: SubmitRequest): Promise<Submitted> {
  const answer = await getUntypedClient(client).mutation("jobs.submit", request);
  return submittedSchema.parse(answer);
}
