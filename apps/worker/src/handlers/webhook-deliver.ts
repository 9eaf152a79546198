import { PermanentJobError, type JobHandler, type webhookDeliver } from "@conveyor/jobs";

const responsePreviewBytes = 2048;

/**
 * POST the payload as JSON. 2xx completes; 408, 429 and 5xx answers and
 * network errors are retried; any other 4xx fails at once (the receiver
 * rejected the request and will reject it again).
 */
export const deliverWebhook: JobHandler<typeof webhookDeliver> = async (input, ctx) => {
  const startedAt = performance.now();
  const response = await fetch(input.url, {
    method: "POST",
    headers: { ...input.headers, "content-type": "application/json", "x-conveyor-run-id": ctx.runId },
    body: JSON.stringify(input.payload),
    signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(input.requestTimeoutMs)]),
    redirect: "manual",
  });
  const body = (await response.text()).slice(0, responsePreviewBytes);
  const durationMs = Math.round(performance.now() - startedAt);
  ctx.log("webhook answered", { status: response.status, durationMs });

  if (response.ok) return { status: response.status, durationMs, responseBody: body };
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  const message = `webhook answered ${response.status} ${response.statusText}`.trim();
  throw retryable ? new Error(message) : new PermanentJobError(message);
};
