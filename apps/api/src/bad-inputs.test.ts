import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCClientError } from "@trpc/client";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { createToken, revokeToken, systemViewer } from "@conveyor/db";
import { createTestDatabase } from "@conveyor/db/testing";
import { defineJob } from "@conveyor/jobs";
import { createClient, type ConveyorClient } from "./client";
import { startApiServer, type ApiServer } from "./server";
import { issueTestToken } from "./testing/tokens";
import type { AppRouter } from "./root";

/**
 * Bad requests through the real HTTP server: each is refused with the right
 * tRPC code and a message naming the field and the rule, and none of them
 * writes anything. No worker runs here: a run that slipped through would stay
 * queued and show in the counts.
 */

const { db, url: databaseUrl } = await createTestDatabase();
/** Small enough that a 100 KB body is over it. */
const smallBodyBytes = 64 * 1024;
let api: ApiServer;
let smallApi: ApiServer;
let admin: ConveyorClient;
let user: ConveyorClient;
const tokens = { admin: "", user: "", expired: "", revoked: "" };
/** A webhook signing secret (a sensitive field): no message may carry it. */
const webhookSecret = "whsec-never-echo-0123456789";
/** Well-shaped ("cvy_" and 43 base64url characters) but never issued. */
const forgedToken = `cvy_${"F".repeat(43)}`;

beforeAll(async () => {
  [api, smallApi] = await Promise.all([
    startApiServer({ databaseUrl, port: 0 }),
    startApiServer({ databaseUrl, port: 0, maxBodyBytes: smallBodyBytes }),
  ]);
  tokens.admin = await issueTestToken(db, { ownerId: "alice", role: "admin" });
  tokens.user = await issueTestToken(db, { ownerId: "bob", role: "user" });
  // createToken refuses a past expiry, so the token expires by hand.
  const expired = await createToken(db, { ownerId: "carol", role: "admin", expiresAt: new Date(Date.now() + 60_000) });
  await db.execute(sql`update conveyor.api_tokens set expires_at = now() - interval '1 hour' where id = ${expired.info.id}`);
  tokens.expired = expired.token;
  const revoked = await createToken(db, { ownerId: "dave", role: "admin" });
  await revokeToken(db, systemViewer, revoked.info.id);
  tokens.revoked = revoked.token;
  admin = createClient({ url: api.url, token: tokens.admin });
  user = createClient({ url: api.url, token: tokens.user });
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.close(), smallApi?.close()]);
});

/** What a refused request answered: the HTTP status, tRPC's code and the message. */
interface Refusal {
  status: number;
  code: string;
  message: string;
}

type TrpcErrorBody = { error?: { message: string; data?: { code: string; httpStatus: number } } };

const bearer = (token: string) => `Bearer ${token}`;
const asAdmin = () => bearer(tokens.admin);

interface RawRequest {
  method: "GET" | "POST";
  /** The procedure, e.g. "jobs.submit". */
  procedure: string;
  /** Appended to the URL as is, e.g. "?input=..." */
  search?: string;
  body?: string;
  contentType?: string | null;
  /** The Authorization header; null sends none (default: the admin token). */
  authorization?: string | null;
  server?: () => ApiServer;
}

async function send(request: RawRequest): Promise<Refusal> {
  const headers: Record<string, string> = {};
  const authorization = request.authorization === undefined ? asAdmin() : request.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const contentType = request.contentType === undefined ? "application/json" : request.contentType;
  if (request.body !== undefined && contentType !== null) headers["content-type"] = contentType;
  const base = (request.server ?? (() => api))().url;
  const response = await fetch(`${base}/${request.procedure}${request.search ?? ""}`, { method: request.method, headers, body: request.body });
  const text = await response.text();
  let json: TrpcErrorBody;
  try {
    json = JSON.parse(text) as TrpcErrorBody;
  } catch {
    throw new Error(`expected a tRPC error, got ${response.status}: ${text.slice(0, 200)}`);
  }
  if (!json.error) throw new Error(`expected a refusal, got ${response.status}: ${text.slice(0, 200)}`);
  return { status: response.status, code: json.error.data?.code ?? "", message: json.error.message };
}

/** A query as tRPC sends it: GET /<procedure>?input=<JSON>. */
const query = (procedure: string, input: unknown, authorization?: string | null): Promise<Refusal> =>
  send({ method: "GET", procedure, search: input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`, authorization });

/** A mutation as tRPC sends it: POST /<procedure> with the input as the JSON body. */
const mutate = (procedure: string, input: unknown, authorization?: string | null): Promise<Refusal> =>
  send({ method: "POST", procedure, body: JSON.stringify(input), authorization });

/** A call through the typed client, which must be refused. */
async function viaClient(call: () => Promise<unknown>): Promise<Refusal> {
  const outcome = await call().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!("error" in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value).slice(0, 200)}`);
  if (!(outcome.error instanceof TRPCClientError)) throw outcome.error;
  const error = outcome.error as TRPCClientError<AppRouter>;
  return { status: error.data?.httpStatus ?? 0, code: error.data?.code ?? "", message: error.message };
}

/** A subscription through the typed client (SSE), which must end in an error before any event. */
function subscriptionRefusal(target: () => ConveyorClient, input: { id?: string; lastEventId?: string | null }): Promise<Refusal> {
  return viaClient(
    () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          subscription.unsubscribe();
          reject(new Error("the subscription was neither refused nor ended"));
        }, 10_000);
        const subscription = target().jobs.events.subscribe(input, {
          onData: (event) => {
            clearTimeout(timer);
            subscription.unsubscribe();
            resolve(event);
          },
          onError: (error) => {
            clearTimeout(timer);
            subscription.unsubscribe();
            reject(error);
          },
        });
      }),
  );
}

const httpStatusOf: Record<string, number> = {
  PARSE_ERROR: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

interface Row {
  category: string;
  name: string;
  request: () => Promise<Refusal>;
  code: keyof typeof httpStatusOf;
  /** Must name the field (or header, or body) and the rule it broke. */
  message: RegExp;
}

const document = { type: "document.analyze", input: { text: "A short document." } } as const;
const submit = (body: unknown) => mutate("jobs.submit", body);
const withOptions = (options: Record<string, unknown>) => submit({ ...document, options });
const withInput = (input: Record<string, unknown>) => submit({ type: "document.analyze", input });
const missingRun = "00000000-0000-4000-8000-000000000000";
const injection = "'; drop table conveyor.runs; --";

/**
 * Submissions the contract itself refuses by size: `input.text` over the
 * document's maximum. The body (about 8 MB) is under the server's default limit.
 */
const oversizedText = "a".repeat(8_000_001);

/** A webhook payload over the contract's `maxInputBytes` (1 MiB by default) and under the body limit. */
const overMaxInput = { url: "http://127.0.0.1:9/", payload: { blob: "x".repeat(1_200_000) } };

const rows: Row[] = [
  // --- The submit envelope: { type, input, options? } and nothing else.
  { category: "envelope", name: "body is an array", request: () => submit([document]), code: "BAD_REQUEST", message: /expected an object \{ type, input, options\? \}/ },
  { category: "envelope", name: "body is a string", request: () => submit("document.analyze"), code: "BAD_REQUEST", message: /expected an object \{ type, input, options\? \}/ },
  { category: "envelope", name: "type is missing", request: () => submit({ input: document.input }), code: "BAD_REQUEST", message: /^type: expected a job type name$/ },
  { category: "envelope", name: "type is a number", request: () => submit({ type: 42, input: document.input }), code: "BAD_REQUEST", message: /^type: expected a job type name$/ },
  { category: "envelope", name: "unknown job type", request: () => submit({ type: "document.summon", input: document.input }), code: "BAD_REQUEST", message: /^type: unknown job type "document\.summon"; known types: / },
  { category: "envelope", name: "unknown job type holding SQL", request: () => submit({ type: injection, input: document.input }), code: "BAD_REQUEST", message: /^type: unknown job type "'; drop table conveyor\.runs; --"/ },
  { category: "envelope", name: "extra envelope field", request: () => submit({ ...document, owner: "mallory" }), code: "BAD_REQUEST", message: /^owner: unknown field$/ },
  { category: "envelope", name: "input is missing", request: () => submit({ type: "document.analyze" }), code: "BAD_REQUEST", message: /^input: .*expected object, received undefined/ },
  { category: "envelope", name: "input is a string", request: () => submit({ type: "document.analyze", input: "hello" }), code: "BAD_REQUEST", message: /^input: .*expected object, received string/ },
  { category: "envelope", name: "options is a string", request: () => submit({ ...document, options: "fast" }), code: "BAD_REQUEST", message: /^options: .*expected object, received string/ },
  { category: "envelope", name: "submitMany items is not an array", request: () => mutate("jobs.submitMany", { items: document }), code: "BAD_REQUEST", message: /^items: expected an array of \{ type, input, options\? \}$/ },
  { category: "envelope", name: "submitMany item with a bad field", request: () => mutate("jobs.submitMany", { items: [document, { type: "document.analyze", input: { text: 7 } }] }), code: "BAD_REQUEST", message: /^items\.1\.input\.text: .*expected string, received number/ },

  // --- The input, against the contract.
  { category: "input", name: "a misspelt input field", request: () => withInput({ text: "x", topKeyword: 3 }), code: "BAD_REQUEST", message: /^input\.topKeyword: unknown field$/ },
  { category: "input", name: "an unknown webhook field", request: () => submit({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: {}, signingSecret: "x" } }), code: "BAD_REQUEST", message: /^input\.signingSecret: unknown field$/ },
  { category: "input", name: "text is missing", request: () => withInput({ title: "No text" }), code: "BAD_REQUEST", message: /^input\.text: .*expected string, received undefined/ },
  { category: "input", name: "text is a number", request: () => withInput({ text: 42 }), code: "BAD_REQUEST", message: /^input\.text: .*expected string, received number/ },
  { category: "input", name: "text is empty (typed client)", request: () => viaClient(() => admin.jobs.submit.mutate({ type: "document.analyze", input: { text: "" } })), code: "BAD_REQUEST", message: /^input\.text: the document is empty$/ },
  { category: "input", name: "topKeywords is zero (typed client)", request: () => viaClient(() => admin.jobs.submit.mutate({ type: "document.analyze", input: { text: "x", topKeywords: 0 } })), code: "BAD_REQUEST", message: /^input\.topKeywords: .*>=1/ },
  { category: "input", name: "topKeywords is a fraction", request: () => withInput({ text: "x", topKeywords: 2.5 }), code: "BAD_REQUEST", message: /^input\.topKeywords: .*expected int/ },
  { category: "input", name: "title is a number", request: () => withInput({ text: "x", title: 7 }), code: "BAD_REQUEST", message: /^input\.title: .*expected string, received number/ },
  { category: "input", name: "webhook url is not http(s)", request: () => viaClient(() => admin.jobs.submit.mutate({ type: "webhook.deliver", input: { url: "javascript:alert(1)", payload: {} } })), code: "BAD_REQUEST", message: /^input\.url: must be an http\(s\) URL/ },
  { category: "input", name: "text with a NUL character", request: () => withInput({ text: "before\u0000after" }), code: "BAD_REQUEST", message: /^input\.text: contains a NUL character \(\\u0000\), which cannot be stored$/ },
  { category: "input", name: "title with a lone surrogate", request: () => withInput({ text: "x", title: "half an emoji \ud83d" }), code: "BAD_REQUEST", message: /^input\.title: contains a lone UTF-16 surrogate \(not valid Unicode\), which cannot be stored$/ },
  { category: "input", name: "webhook payload with a NUL beside a secret (neither stored nor echoed)", request: () => submit({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: { rows: [{ note: "a\u0000" }] }, secret: webhookSecret } }), code: "BAD_REQUEST", message: /^input\.payload\.rows\.0\.note: contains a NUL character/ },
  { category: "input", name: "webhook payload with a NUL in a key", request: () => submit({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: { "k\u0000": 1 } } }), code: "BAD_REQUEST", message: /^input\.payload: has a key with a NUL character/ },
  { category: "input", name: "webhook payload nested 100,000 deep", request: () => send({ method: "POST", procedure: "jobs.submit", body: `{"type":"webhook.deliver","input":{"url":"http://127.0.0.1:9/","payload":${"[".repeat(100_000)}${"]".repeat(100_000)}}}` }), code: "BAD_REQUEST", message: /^input: is nested too deeply to validate$/ },
  { category: "input", name: "webhook secret too short", request: () => submit({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: {}, secret: "short" } }), code: "BAD_REQUEST", message: /^input\.secret: at least 16 characters$/ },
  { category: "input", name: "webhook header name holding SQL", request: () => submit({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload: {}, headers: { [injection]: "x" } } }), code: "BAD_REQUEST", message: /^input\.headers\..*header names are letters, digits and '-'/ },

  // --- Sizes.
  { category: "size", name: "text beyond the document maximum", request: () => withInput({ text: oversizedText }), code: "BAD_REQUEST", message: /^input\.text: the document is longer than 8000000 characters$/ },
  { category: "size", name: "title (the run's label) over 200 characters", request: () => withInput({ text: "x", title: "t".repeat(201) }), code: "BAD_REQUEST", message: /^input\.title: .*<=200 characters/ },
  { category: "size", name: "idempotencyKey over 200 characters", request: () => withOptions({ idempotencyKey: "k".repeat(201) }), code: "BAD_REQUEST", message: /^options\.idempotencyKey: .*<=200 characters/ },
  { category: "size", name: "body over the server's maxBodyBytes", request: () => send({ method: "POST", procedure: "jobs.submit", server: () => smallApi, body: JSON.stringify({ type: "document.analyze", input: { text: "a".repeat(100 * 1024) } }) }), code: "PAYLOAD_TOO_LARGE", message: /^the request body is larger than the \d+ bytes this API accepts \(CONVEYOR_MAX_BODY_BYTES\)$/ },
  { category: "size", name: "input over the contract's maxInputBytes", request: () => submit({ type: "webhook.deliver", input: overMaxInput }), code: "BAD_REQUEST", message: /^input: is 1\.1 MiB as JSON, more than the 1\.0 MiB webhook\.deliver accepts \(maxInputBytes\)$/ },

  // --- Options: per-submit overrides.
  { category: "options", name: "priority is not a level", request: () => withOptions({ priority: "urgent" }), code: "BAD_REQUEST", message: /^options\.priority: .*expected one of "low"\|"normal"\|"high"\|"critical"/ },
  { category: "options", name: "priority is a number", request: () => withOptions({ priority: 5 }), code: "BAD_REQUEST", message: /^options\.priority: .*expected one of/ },
  { category: "options", name: "runAt is not a date", request: () => viaClient(() => admin.jobs.submit.mutate({ ...document, options: { runAt: "not a date" } })), code: "BAD_REQUEST", message: /^options\.runAt: must be an ISO 8601 date-time/ },
  { category: "options", name: "runAt in a locale format", request: () => withOptions({ runAt: "12/31/2030" }), code: "BAD_REQUEST", message: /^options\.runAt: must be an ISO 8601 date-time/ },
  { category: "options", name: "runAt on a day the month lacks", request: () => withOptions({ runAt: "2030-02-30T09:00:00Z" }), code: "BAD_REQUEST", message: /^options\.runAt: must be an ISO 8601 date-time/ },
  { category: "options", name: "runAt without a time zone", request: () => withOptions({ runAt: "2030-01-01T09:00:00" }), code: "BAD_REQUEST", message: /^options\.runAt: must be an ISO 8601 date-time with a time zone/ },
  { category: "options", name: "runAt is a boolean", request: () => withOptions({ runAt: true }), code: "BAD_REQUEST", message: /^options\.runAt: must be an ISO 8601 date-time/ },
  { category: "options", name: "maxAttempts is negative (typed client)", request: () => viaClient(() => admin.jobs.submit.mutate({ ...document, options: { maxAttempts: -1 } })), code: "BAD_REQUEST", message: /^options\.maxAttempts: .*>=1/ },
  { category: "options", name: "maxAttempts is a string", request: () => withOptions({ maxAttempts: "3" }), code: "BAD_REQUEST", message: /^options\.maxAttempts: .*expected number, received string/ },
  { category: "options", name: "timeoutMs is negative", request: () => withOptions({ timeoutMs: -5 }), code: "BAD_REQUEST", message: /^options\.timeoutMs: .*>=100/ },
  { category: "options", name: "timeoutMs over a week", request: () => withOptions({ timeoutMs: 1e12 }), code: "BAD_REQUEST", message: /^options\.timeoutMs: .*<=604800000/ },
  { category: "options", name: "idempotencyKey is empty (typed client)", request: () => viaClient(() => admin.jobs.submit.mutate({ ...document, options: { idempotencyKey: "" } })), code: "BAD_REQUEST", message: /^options\.idempotencyKey: .*>=1 characters/ },
  { category: "options", name: "idempotencyKey is a number", request: () => withOptions({ idempotencyKey: 42 }), code: "BAD_REQUEST", message: /^options\.idempotencyKey: .*expected string, received number/ },
  { category: "options", name: "queue holding SQL", request: () => withOptions({ queue: injection }), code: "BAD_REQUEST", message: /^options\.queue: lowercase letters, digits/ },
  { category: "options", name: "idempotencyKey with a NUL character", request: () => withOptions({ idempotencyKey: "key\u0000" }), code: "BAD_REQUEST", message: /^options\.idempotencyKey: contains a NUL character/ },
  { category: "options", name: "unknown option", request: () => withOptions({ delay: 1000 }), code: "BAD_REQUEST", message: /^options\.delay: unknown field$/ },

  // --- Run ids and unknown runs.
  { category: "ids", name: "jobs.get with a non-UUID id (typed client)", request: () => viaClient(() => admin.jobs.get.query({ id: "42" })), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.get with a numeric id", request: () => query("jobs.get", { id: 42 }), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.get with SQL as the id", request: () => query("jobs.get", { id: injection }), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.get with an extra field", request: () => query("jobs.get", { id: missingRun, owner: "bob" }), code: "BAD_REQUEST", message: /^owner: unknown field$/ },
  { category: "ids", name: "jobs.cancel with a non-UUID id", request: () => mutate("jobs.cancel", { id: "run-1" }), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.retry without an id", request: () => mutate("jobs.retry", {}), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.events with a non-UUID id", request: () => subscriptionRefusal(() => admin, { id: "not-a-run" }), code: "BAD_REQUEST", message: /^id: must be a run id \(a UUID\)$/ },
  { category: "ids", name: "jobs.events with a bad lastEventId", request: () => subscriptionRefusal(() => admin, { id: missingRun, lastEventId: "ten" }), code: "BAD_REQUEST", message: /^lastEventId: must be an event id/ },
  { category: "ids", name: "jobs.get of a run that does not exist", request: () => viaClient(() => admin.jobs.get.query({ id: missingRun })), code: "NOT_FOUND", message: /^run 00000000-0000-4000-8000-000000000000 was not found$/ },
  { category: "ids", name: "jobs.cancel of a run that does not exist", request: () => mutate("jobs.cancel", { id: missingRun }), code: "NOT_FOUND", message: /^run 00000000-0000-4000-8000-000000000000 was not found$/ },
  { category: "ids", name: "jobs.retry of a run that does not exist", request: () => mutate("jobs.retry", { id: missingRun }), code: "NOT_FOUND", message: /^run 00000000-0000-4000-8000-000000000000 was not found$/ },
  { category: "ids", name: "jobs.events of a run that does not exist", request: () => subscriptionRefusal(() => admin, { id: missingRun }), code: "NOT_FOUND", message: /^run 00000000-0000-4000-8000-000000000000 was not found$/ },

  // --- jobs.list filters and paging.
  { category: "list", name: "limit is zero (typed client)", request: () => viaClient(() => admin.jobs.list.query({ limit: 0 })), code: "BAD_REQUEST", message: /^limit: .*>=1/ },
  { category: "list", name: "limit is negative", request: () => query("jobs.list", { limit: -5 }), code: "BAD_REQUEST", message: /^limit: .*>=1/ },
  { category: "list", name: "limit is huge", request: () => query("jobs.list", { limit: 1e9 }), code: "BAD_REQUEST", message: /^limit: .*<=100/ },
  { category: "list", name: "limit is a string", request: () => query("jobs.list", { limit: "10" }), code: "BAD_REQUEST", message: /^limit: .*expected number, received string/ },
  { category: "list", name: "garbage cursor (typed client)", request: () => viaClient(() => admin.jobs.list.query({ cursor: "not-a-cursor" })), code: "BAD_REQUEST", message: /^cursor: is not a cursor returned by jobs\.list$/ },
  { category: "list", name: "cursor of well-formed JSON but not ours", request: () => query("jobs.list", { cursor: Buffer.from(JSON.stringify(["yesterday", injection])).toString("base64url") }), code: "BAD_REQUEST", message: /^cursor: is not a cursor returned by jobs\.list$/ },
  { category: "list", name: "cursor over 200 characters", request: () => query("jobs.list", { cursor: "c".repeat(300) }), code: "BAD_REQUEST", message: /^cursor: .*<=200 characters/ },
  { category: "list", name: "status is not a run status", request: () => query("jobs.list", { status: "done" }), code: "BAD_REQUEST", message: /^status: .*expected one of "queued"/ },
  { category: "list", name: "type filter is empty", request: () => query("jobs.list", { type: "" }), code: "BAD_REQUEST", message: /^type: .*>=1 characters/ },
  { category: "list", name: "type filter with a NUL character", request: () => query("jobs.list", { type: "document.analyze\u0000" }), code: "BAD_REQUEST", message: /^type: must not contain a NUL character/ },
  { category: "list", name: "unknown filter", request: () => query("jobs.list", { owner: "bob" }), code: "BAD_REQUEST", message: /^owner: unknown field$/ },

  // --- jobs.retryFailed.
  { category: "retryFailed", name: "since is not a date", request: () => mutate("jobs.retryFailed", { since: "yesterday" }), code: "BAD_REQUEST", message: /^since: must be an ISO 8601 date-time/ },
  { category: "retryFailed", name: "since is a number", request: () => mutate("jobs.retryFailed", { since: 1_700_000_000_000 }), code: "BAD_REQUEST", message: /^since: must be an ISO 8601 date-time/ },
  { category: "retryFailed", name: "limit is zero (typed client)", request: () => viaClient(() => admin.jobs.retryFailed.mutate({ limit: 0 })), code: "BAD_REQUEST", message: /^limit: .*>=1/ },
  { category: "retryFailed", name: "limit over 10,000", request: () => mutate("jobs.retryFailed", { limit: 10_001 }), code: "BAD_REQUEST", message: /^limit: .*<=10000/ },
  { category: "retryFailed", name: "type with a NUL character", request: () => mutate("jobs.retryFailed", { type: "\u0000" }), code: "BAD_REQUEST", message: /^type: must not contain a NUL character/ },
  { category: "retryFailed", name: "queue holding SQL", request: () => mutate("jobs.retryFailed", { queue: injection }), code: "BAD_REQUEST", message: /^queue: lowercase letters, digits/ },

  // --- HTTP itself: bodies, methods, procedures.
  { category: "http", name: "malformed JSON body", request: () => send({ method: "POST", procedure: "jobs.submit", body: "{not json" }), code: "BAD_REQUEST", message: /^the request is not valid JSON \(a mutation's body, a query's \?input=\): error at position 1$/ },
  { category: "http", name: "truncated JSON body", request: () => send({ method: "POST", procedure: "jobs.submit", body: JSON.stringify(document).slice(0, 30) }), code: "BAD_REQUEST", message: /^the request is not valid JSON \(a mutation's body/ },
  { category: "http", name: "malformed JSON body holding a token (not echoed)", request: () => send({ method: "POST", procedure: "jobs.submit", body: `{"type": "webhook.deliver", "input": {"secret": ${tokens.admin}}}` }), code: "BAD_REQUEST", message: /^the request is not valid JSON \(a mutation's body/ },
  { category: "http", name: "malformed JSON in ?input=", request: () => send({ method: "GET", procedure: "jobs.list", search: "?input=%7Bnot%20json" }), code: "BAD_REQUEST", message: /^the request is not valid JSON \(.*a query's \?input=\)/ },
  { category: "http", name: "body that is not JSON at all (text/plain)", request: () => send({ method: "POST", procedure: "jobs.submit", body: "type=document.analyze", contentType: "text/plain" }), code: "UNSUPPORTED_MEDIA_TYPE", message: /content-type.*text\/plain/i },
  { category: "http", name: "GET of a mutation", request: () => send({ method: "GET", procedure: "jobs.submit", search: `?input=${encodeURIComponent(JSON.stringify(document))}` }), code: "METHOD_NOT_SUPPORTED", message: /GET.*mutation.*jobs\.submit/ },
  { category: "http", name: "POST to a query", request: () => mutate("jobs.get", { id: missingRun }), code: "METHOD_NOT_SUPPORTED", message: /POST.*query.*jobs\.get/ },
  { category: "http", name: "unknown procedure", request: () => mutate("jobs.delete", { id: missingRun }), code: "NOT_FOUND", message: /procedure.*"jobs\.delete"/ },

  // --- Tokens: who is calling.
  { category: "tokens", name: "no Authorization header", request: () => query("jobs.list", {}, null), code: "UNAUTHORIZED", message: /^missing token: send the header 'Authorization: Bearer <token>'$/ },
  { category: "tokens", name: "Authorization: Basic", request: () => query("jobs.list", {}, `Basic ${Buffer.from("alice:secret").toString("base64")}`), code: "UNAUTHORIZED", message: /^malformed Authorization header: expected 'Bearer <token>'$/ },
  { category: "tokens", name: "Bearer with nothing", request: () => query("jobs.list", {}, "Bearer"), code: "UNAUTHORIZED", message: /^malformed Authorization header: expected 'Bearer <token>'$/ },
  { category: "tokens", name: "malformed token", request: () => mutate("jobs.submit", document, bearer("not-a-token")), code: "UNAUTHORIZED", message: /^malformed token: expected 'cvy_' followed by 43 characters$/ },
  { category: "tokens", name: "forged token (right shape, never issued)", request: () => mutate("jobs.submit", document, bearer(forgedToken)), code: "UNAUTHORIZED", message: /^unknown token: it was never issued here$/ },
  { category: "tokens", name: "expired token", request: () => mutate("jobs.submit", document, bearer(tokens.expired)), code: "UNAUTHORIZED", message: /^token cvy_.{4}… expired at \d{4}-\d\d-\d\dT/ },
  { category: "tokens", name: "revoked token", request: () => mutate("jobs.submit", document, bearer(tokens.revoked)), code: "UNAUTHORIZED", message: /^token cvy_.{4}… was revoked at \d{4}-\d\d-\d\dT/ },
  { category: "tokens", name: "a user calling admin-only tokens.create (typed client)", request: () => viaClient(() => user.tokens.create.mutate({ ownerId: "bob", role: "admin" })), code: "FORBIDDEN", message: /^this needs an admin token$/ },
  { category: "tokens", name: "tokens.create with a bad ownerId", request: () => mutate("tokens.create", { ownerId: "bob smith!" }), code: "BAD_REQUEST", message: /^ownerId: .*letters, digits/ },
  { category: "tokens", name: "tokens.create with SQL as the ownerId", request: () => mutate("tokens.create", { ownerId: injection }), code: "BAD_REQUEST", message: /^ownerId: .*letters, digits/ },
  { category: "tokens", name: "tokens.create without an ownerId", request: () => mutate("tokens.create", { role: "user" }), code: "BAD_REQUEST", message: /^ownerId: .*expected string, received undefined/ },
  { category: "tokens", name: "tokens.create with a past expiresAt (typed client)", request: () => viaClient(() => admin.tokens.create.mutate({ ownerId: "erin", expiresAt: new Date(Date.now() - 60_000) })), code: "BAD_REQUEST", message: /^expiresAt: must be in the future$/ },
  { category: "tokens", name: "tokens.create with an expiresAt that is not a date", request: () => mutate("tokens.create", { ownerId: "erin", expiresAt: "next week" }), code: "BAD_REQUEST", message: /^expiresAt: must be an ISO 8601 date-time/ },
  { category: "tokens", name: "tokens.create with an unknown role", request: () => mutate("tokens.create", { ownerId: "erin", role: "root" }), code: "BAD_REQUEST", message: /^role: .*expected one of "user"\|"admin"$/ },
  { category: "tokens", name: "tokens.create with a negative submitRate", request: () => mutate("tokens.create", { ownerId: "erin", submitRate: -1 }), code: "BAD_REQUEST", message: /^submitRate: .*>0/ },
  { category: "tokens", name: "tokens.create with a NUL in the name", request: () => mutate("tokens.create", { ownerId: "erin", name: "ci\u0000" }), code: "BAD_REQUEST", message: /^name: must not contain a NUL character/ },
  { category: "tokens", name: "tokens.create with an extra field", request: () => mutate("tokens.create", { ownerId: "erin", hash: "0".repeat(64) }), code: "BAD_REQUEST", message: /^hash: unknown field$/ },
  { category: "tokens", name: "tokens.revoke with a non-UUID id", request: () => mutate("tokens.revoke", { id: "cvy_x" }), code: "BAD_REQUEST", message: /^id: must be a token id \(a UUID\)$/ },
  { category: "tokens", name: "tokens.revoke of a token that does not exist", request: () => mutate("tokens.revoke", { id: missingRun }), code: "NOT_FOUND", message: /^token 00000000-0000-4000-8000-000000000000 was not found$/ },
];

/** Rows per category, for the report. */
const counts = rows.reduce<Record<string, number>>((all, row) => ({ ...all, [row.category]: (all[row.category] ?? 0) + 1 }), {});

/** Row counts of everything a submit, retry or token change writes. */
async function tableCounts(): Promise<Record<string, number>> {
  // graphile-worker >= 0.16 keeps its jobs in _private_jobs, with `jobs` as a view over it.
  const [kind] = await db.execute<{ relkind: string }>(sql`select relkind from pg_class where oid = 'graphile_worker.jobs'::regclass`);
  const jobsTable = kind?.relkind === "v" ? sql`graphile_worker._private_jobs` : sql`graphile_worker.jobs`;
  const [row] = await db.execute<Record<string, number>>(sql`
    select (select count(*)::int from conveyor.runs) as runs,
           (select count(*)::int from conveyor.run_events) as run_events,
           (select count(*)::int from ${jobsTable}) as jobs,
           (select count(*)::int from conveyor.api_tokens) as api_tokens,
           (select count(*)::int from conveyor.api_tokens where revoked_at is not null) as revoked_tokens`);
  if (!row) throw new Error("counting returned no row");
  return { ...row };
}

describe(`bad requests through HTTP (${rows.length} rows: ${Object.entries(counts).map(([category, n]) => `${category} ${n}`).join(", ")})`, () => {
  let before: Record<string, number>;

  beforeAll(async () => {
    // Something to count: one run with its event and job, so "unchanged" is not "still empty".
    await admin.jobs.submit.mutate(document);
    before = await tableCounts();
    expect(before).toMatchObject({ runs: 1, run_events: 1, jobs: 1, api_tokens: 4, revoked_tokens: 1 });
  });

  it("has at least 45 rows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
  });

  it.each(rows.map((row) => [`${row.category}: ${row.name}`, row] as const))("%s", async (_name, row) => {
    const refusal = await row.request();
    expect({ code: refusal.code, status: refusal.status }, refusal.message).toEqual({ code: row.code, status: httpStatusOf[row.code] });
    expect(refusal.message).toMatch(row.message);
    // A message never carries a token, whole or in part (the 8-character prefix that lists show aside).
    for (const token of [...Object.values(tokens), forgedToken]) expect(refusal.message).not.toContain(token.slice(8));
    expect(refusal.message).not.toContain(webhookSecret);
  });

  it("wrote nothing: runs, run events, graphile-worker jobs and tokens are as before", async () => {
    expect(await tableCounts()).toEqual(before);
  });
});

describe("injection strings are data: matched literally, stored verbatim", () => {
  const html = `<script>alert("x")</script><img src=x onerror=alert(1)>&amp;`;

  it("a SQL string as a filter matches nothing and drops nothing", async () => {
    await admin.jobs.submit.mutate(document);
    const runsBefore = (await admin.jobs.list.query({ limit: 100 })).items.length;
    expect(runsBefore).toBeGreaterThan(0);
    expect(await admin.jobs.list.query({ type: injection })).toEqual({ items: [], nextCursor: null });
    expect(await admin.jobs.list.query({ type: `document.analyze' or '1'='1` })).toEqual({ items: [], nextCursor: null });
    expect(await admin.jobs.retryFailed.mutate({ type: injection })).toEqual({ retried: 0, ids: [] });
    expect((await admin.jobs.list.query({ limit: 100 })).items.length).toBe(runsBefore);
    const [table] = await db.execute<{ runs: string | null }>(sql`select to_regclass('conveyor.runs')::text as runs`);
    expect(table?.runs).toBe("conveyor.runs");
  });

  it("a SQL string and HTML as a document's title and text are stored and shown verbatim", async () => {
    for (const title of [injection, html]) {
      const text = `${title} ${injection} ${html}`;
      const { id } = await admin.jobs.submit.mutate({ type: "document.analyze", input: { title, text } });
      const run = await admin.jobs.get.query({ id });
      if (run.type !== "document.analyze") throw new Error(`unexpected type ${run.type}`);
      expect(run.input.title).toBe(title);
      expect(run.input.text).toBe(text);
      expect(run.label).toBe(title);
      const listed = await admin.jobs.list.query({ type: "document.analyze", limit: 100 });
      expect(listed.items.find((item) => item.id === id)?.label).toBe(title);
    }
  });

  it("a SQL string and HTML in a webhook payload and an idempotency key are stored verbatim", async () => {
    const payload = { note: injection, html, nested: { [injection]: [html] } };
    const { id } = await admin.jobs.submit.mutate({
      type: "webhook.deliver",
      input: { url: "http://127.0.0.1:9/", payload },
      options: { idempotencyKey: injection },
    });
    const run = await admin.jobs.get.query({ id });
    if (run.type !== "webhook.deliver") throw new Error(`unexpected type ${run.type}`);
    expect(run.input.payload).toEqual(payload);
    const again = await admin.jobs.submit.mutate({ type: "webhook.deliver", input: { url: "http://127.0.0.1:9/", payload }, options: { idempotencyKey: injection } });
    expect(again).toMatchObject({ id, deduplicated: true });
  });
});

describe("cron schedules are checked when a contract is defined", () => {
  const contract = (cron: string, input: unknown = { n: 1 }) => () =>
    defineJob({
      name: "test.cron",
      description: "A contract with one schedule.",
      input: z.object({ n: z.number().int() }),
      output: z.object({}),
      progress: z.object({}),
      schedules: [{ name: "nightly", cron, input: input as { n: number } }],
    });

  it.each([
    ["four fields", "* * * *", /schedules\.0\.cron \(schedule "nightly"\): .*must be 5 cron fields: minute hour day-of-month month day-of-week/],
    ["words", "every minute", /schedules\.0\.cron \(schedule "nightly"\): .*must be 5 cron fields/],
    ["six fields", "0 0 9 * * *", /schedules\.0\.cron \(schedule "nightly"\): .*must be 5 cron fields/],
  ] as const)("refuses a cron of %s, naming the schedule and the rule", (_name, cron, message) => {
    expect(contract(cron)).toThrow(message);
    expect(contract(cron)).toThrow(/defineJob\(test\.cron\)/);
  });

  it("refuses a schedule whose input breaks the contract, naming the field", () => {
    expect(contract("0 9 * * *", { n: "one" })).toThrow(/schedules\.0\.input \(schedule "nightly"\): .*expected number, received string/);
  });

  it.each([
    ["minute 61", "61 * * * *", /minute 61 is out of range 0-59/],
    ["hour 25", "0 25 * * *", /hour 25 is out of range 0-23/],
    ["day-of-month 0", "0 9 0 * *", /day-of-month 0 is out of range 1-31/],
    ["month 13 in a list", "0 9 1 1,13 *", /month 13 is out of range 1-12/],
    ["day-of-week 9 in a range", "0 9 * * 1-9", /day-of-week 9 is out of range 0-6/],
    ["a backwards range", "0 9 * * 5-1", /day-of-week range 5-1 runs backwards/],
    ["step 0", "*/0 * * * *", /minute step "\/0" must be at least 1/],
  ] as const)("refuses a cron with %s, naming the field and its range", (_name, cron, message) => {
    expect(contract(cron)).toThrow(/schedules\.0\.cron \(schedule "nightly"\): /);
    expect(contract(cron)).toThrow(message);
  });

  it("accepts ranges, lists and steps within bounds", () => {
    expect(contract("*/15 8-18 1,15 1-12 1-5")).not.toThrow();
  });
});

