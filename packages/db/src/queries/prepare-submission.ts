import { z } from "zod";
import {
  findJob,
  graphilePriority,
  laneOf,
  scrubSecrets,
  secretStringsOf,
  splitSensitive,
  submitOptionsSchema,
  type Catalog,
} from "@conveyor/jobs";
import { InvalidRequestError, UnknownJobTypeError, type FieldIssue } from "../errors";
import type { NewRunRow } from "../schema";
import { systemOwner } from "../access/viewer";
import { newRunId } from "./run-id";
import { secretsKeyHelp, secretsKeyring, type SealedSecrets } from "../secrets-at-rest";

/** A run ready to be written, and the graphile-worker job that will execute it. */
export interface PreparedSubmission {
  row: NewRunRow & { id: string; runAt: Date; maxAttempts: number; maxLostAttempts: number };
  /** graphile-worker's priority number (lower starts first). */
  jobPriority: number;
}

/**
 * Validate one submission against its contract and fill in the job type's
 * defaults. Throws `UnknownJobTypeError` or `InvalidRequestError` (naming
 * every bad field) before anything is written.
 */
export function prepareSubmission(
  catalog: Catalog,
  request: { type: string; input: unknown; options?: unknown; ownerId?: string },
  pathPrefix = "",
): PreparedSubmission {
  const job = findJob(catalog, request.type);
  if (!job) throw new UnknownJobTypeError(request.type, Object.keys(catalog));
  // Measured before parsing, so an oversized input costs no more than this.
  const inputBytes = Buffer.byteLength(JSON.stringify(request.input ?? null));
  if (inputBytes > job.defaults.maxInputBytes) {
    throw new InvalidRequestError([
      {
        path: `${pathPrefix}input`,
        message: `is ${formatBytes(inputBytes)} as JSON, more than the ${formatBytes(job.defaults.maxInputBytes)} ${job.name} accepts (maxInputBytes)`,
      },
    ]);
  }

  const input = job.input.safeParse(request.input);
  const options = submitOptionsSchema.safeParse(request.options ?? {});
  const issues = [
    ...(input.success ? [] : toFieldIssues(input.error, `${pathPrefix}input`)),
    ...(options.success ? [] : toFieldIssues(options.error, `${pathPrefix}options`)),
  ];
  if (!input.success || !options.success) throw new InvalidRequestError(issues);

  const chosen = options.data;
  const priority = chosen.priority ?? job.defaults.priority;
  const maxAttempts = chosen.maxAttempts ?? job.defaults.maxAttempts;
  const id = newRunId();
  const queue = chosen.queue ?? job.defaults.queue;
  // Sensitive fields are kept apart from the input, so no read of a run can return them, and sealed
  // (encrypted), so neither can a copy of the database. Without a key they are refused, not stored in the clear.
  const { visible, secrets } = splitSensitive(input.data, job.sensitivePaths);
  // The keyring only when there is something to seal: looking it up reads the environment.
  const sealed = secrets === null ? null : sealSecrets(secrets, id, pathPrefix);
  return {
    row: {
      id,
      type: job.name,
      label: scrubSecrets(job.label(input.data), secretStringsOf(secrets)).slice(0, 120),
      queue,
      lane: laneOf(catalog, queue, id),
      status: chosen.runAt && chosen.runAt.getTime() > Date.now() ? "scheduled" : "queued",
      priority,
      input: visible,
      sealedSecrets: sealed?.sealed ?? null,
      secretsKeyId: sealed?.keyId ?? null,
      maxAttempts,
      attemptBudget: maxAttempts,
      maxLostAttempts: job.defaults.maxLostAttempts,
      timeoutMs: chosen.timeoutMs ?? job.defaults.timeoutMs,
      ownerId: request.ownerId ?? systemOwner,
      idempotencyKey: chosen.idempotencyKey ?? null,
      runAt: chosen.runAt ?? new Date(),
    },
    jobPriority: graphilePriority[priority],
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** zod's issues as "input.text: the document is empty". */
export function toFieldIssues(error: z.ZodError, root: string): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = [root, ...issue.path.map(String)].filter(Boolean);
    // A strict object names its unknown keys in one issue on the object: name each as a field.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...path, key].join("."), message: "unknown field" }));
    }
    // A record key that breaks its rule: zod keeps the rule's own message one level down.
    if (issue.code === "invalid_key") {
      return [{ path: path.join("."), message: `invalid key: ${issue.issues[0]?.message ?? issue.message}` }];
    }
    return [{ path: path.join("."), message: issue.message }];
  });
}

/** Seal a run's sensitive fields; refused, naming each field, when this server has no key. */
function sealSecrets(secrets: Record<string, unknown>, runId: string, pathPrefix: string): SealedSecrets {
  const keyring = secretsKeyring();
  if (!keyring.current) {
    throw new InvalidRequestError(
      Object.keys(secrets).map((path) => ({ path: `${pathPrefix}input.${path}`, message: `is sensitive, and this server has no key to store it encrypted: ${secretsKeyHelp}` })),
    );
  }
  return keyring.seal(secrets, runId);
}
