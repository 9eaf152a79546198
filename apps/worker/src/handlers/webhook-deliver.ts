import { createHmac } from "node:crypto";
import { PermanentJobError, type JobHandler, type webhookDeliver } from "@conveyor/jobs";
import { OutboundRequestRefusedError, outboundPolicyFromEnv, type OutboundPolicy } from "../outbound/address-policy";
import { createGuardedFetch, type GuardedFetch } from "../outbound/guarded-fetch";

const responsePreviewBytes = 2048;

/**
 * POST the payload as JSON. 2xx completes; 408, 429 and 5xx answers and
 * network errors are retried; any other 4xx fails at once (the receiver
 * rejected the request and will reject it again), and so does a destination
 * the outbound policy refuses (see outbound/address-policy.ts). Redirects are
 * not followed. With a `secret`, the request is signed (see the contract's
 * `secret`). Every attempt carries `idempotency-key: <run id>` (the same for
 * every attempt of the run) and `x-conveyor-attempt`, so a receiver can drop
 * the repeats that at-least-once delivery brings.
 */
export function createWebhookDeliverer(policy: OutboundPolicy): JobHandler<typeof webhookDeliver> {
  const post = createGuardedFetch(policy);
  return (input, ctx) => deliver(post, input, ctx);
}

let fromEnv: GuardedFetch | undefined;

/** The worker's handler, with the policy of CONVEYOR_OUTBOUND_ALLOWED_HOSTS (read at its first delivery). */
export const deliverWebhook: JobHandler<typeof webhookDeliver> = (input, ctx) => {
  fromEnv ??= createGuardedFetch(outboundPolicyFromEnv());
  return deliver(fromEnv, input, ctx);
};

async function deliver(post: GuardedFetch, ...[input, ctx]: Parameters<JobHandler<typeof webhookDeliver>>) {
  const startedAt = performance.now();
  const body = JSON.stringify(input.payload);
  let response: Awaited<ReturnType<GuardedFetch>>;
  try {
    response = await post(input.url, {
      method: "POST",
      headers: requestHeaders(input.headers, ctx.runId, ctx.attempt, input.secret ? signatureHeaders(input.secret, body) : {}),
      body,
      signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(input.requestTimeoutMs)]),
    });
  } catch (error) {
    // Another attempt would be refused the same way.
    if (error instanceof OutboundRequestRefusedError) throw new PermanentJobError(error.message);
    throw error;
  }
  const answer = (await response.text()).slice(0, responsePreviewBytes);
  const durationMs = Math.round(performance.now() - startedAt);
  ctx.log("webhook answered", { status: response.status, durationMs });

  if (response.ok) return { status: response.status, durationMs, responseBody: answer };
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  const message = `webhook answered ${response.status} ${response.statusText}`.trim();
  throw retryable ? new Error(message) : new PermanentJobError(message);
}

/**
 * The caller's headers, then ours. `set` replaces case-insensitively, so a
 * caller's "X-Conveyor-Signature" cannot be sent alongside (or instead of) ours.
 */
function requestHeaders(extra: Record<string, string>, runId: string, attempt: number, signature: Record<string, string>): Headers {
  const headers = new Headers(extra);
  const ours = { "content-type": "application/json", "x-conveyor-run-id": runId, "idempotency-key": runId, "x-conveyor-attempt": String(attempt), ...signature };
  for (const [name, value] of Object.entries(ours)) headers.set(name, value);
  return headers;
}

/**
 * The signature headers for one request: HMAC-SHA256 over
 * "<unix seconds>.<body>", so the receiver can also refuse stale (replayed) requests.
 */
export function signatureHeaders(secret: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const hmac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return { "x-conveyor-timestamp": timestamp, "x-conveyor-signature": `sha256=${hmac}` };
}
