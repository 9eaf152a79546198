import type { IncomingMessage, ServerResponse } from "node:http";
import { callTRPCProcedure, TRPCError } from "@trpc/server";
// tRPC's own error shape and status rules, so an answer from here reads exactly as one from its handler
// (the exact @trpc version is pinned for every package, as for event-stream.ts).
import { getErrorShape, getHTTPStatusCode, type TRPCResponse } from "@trpc/server/unstable-core-do-not-import";
import { isRecord, parseJsonInput, queryInput, retryAfterHeaders, type ReportError } from "./beside-trpc";
import { httpContext, type ApiServices } from "./context";
import { answerFor } from "./field-errors";
import { appRouter } from "./root";

const basePath = "/trpc/";
const config = appRouter._def._config;
/** Every procedure's type by its dotted path ("jobs.submit" → "mutation"); tRPC keeps them flat by path. */
const procedureTypes = new Map(Object.entries(appRouter._def.procedures).map(([path, procedure]) => [path, procedureType(procedure)]));

/**
 * Queries and mutations over HTTP without tRPC's fetch pipeline, in its
 * wire protocol exactly: `GET /trpc/a.b?input=…` and `POST /trpc/a.b` with a
 * JSON body, single or batched (`?batch=1`, paths joined by commas, inputs
 * keyed by index), answered with `{ result: { data } }` or `{ error }` in the
 * router's error shape and tRPC's status codes. Each procedure runs as tRPC
 * runs it (middlewares, input validation, the error formatter) through
 * `callTRPCProcedure`; only the transport differs. Anything else (a
 * subscription, a streamed or non-JSON request, an unknown path, a method the
 * procedure does not take) is left to tRPC's handler, which answers it as
 * always.
 *
 * Why: tRPC 11's Node adapter turns every request into a Fetch `Request`
 * and every answer into a `Response` (headers objects, an abort signal, web
 * streams for the body both ways). On this machine that cost the API about
 * 400 µs of CPU per call, five times what a bare `node:http` endpoint spends
 * on a whole submission; here a call costs what its procedure costs (see
 * BENCHMARKS.md).
 */
export class ProcedureCalls {
  constructor(
    private readonly services: ApiServices,
    private readonly onError: ReportError,
  ) {}

  /** Serve the request if it is a plain query or mutation; false leaves it to tRPC's handler. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const call = this.recognise(req);
    if (!call) return false;
    void this.serve(req, res, call).catch((cause: unknown) => {
      // Only the writing of an answer can fail here (every call's failure is its answer): the client is gone.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy(cause instanceof Error ? cause : undefined);
    });
    return true;
  }

  private recognise(req: IncomingMessage): Recognised | null {
    const { method, url } = req;
    if ((method !== "GET" && method !== "POST") || !url?.startsWith(basePath)) return null;
    // Streamed answers (httpBatchStreamLink) and non-JSON bodies (FormData, octet streams) are tRPC's.
    if (req.headers["trpc-accept"] !== undefined) return null;
    if (method === "POST" && !req.headers["content-type"]?.startsWith("application/json")) return null;
    const queryAt = url.indexOf("?");
    const search = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
    let pathText: string;
    try {
      pathText = decodeURIComponent(url.slice(basePath.length, queryAt === -1 ? undefined : queryAt));
    } catch {
      return null;
    }
    const batched = search.get("batch") === "1";
    const paths = batched ? pathText.split(",") : [pathText];
    const type = method === "GET" ? "query" : "mutation";
    if (!paths.every((path) => procedureTypes.get(path) === type)) return null;
    return { paths, batched, type, search };
  }

  private async serve(req: IncomingMessage, res: ServerResponse, call: Recognised): Promise<void> {
    const ctx = httpContext(this.services, req);
    const inputs = readInputs(req, call, this.services.maxBodyBytes);
    // A call refused before it reads its input (a bad token) leaves the failure unread: it is not unhandled.
    inputs.catch(() => {});
    const errors: TRPCError[] = [];
    const answers = await Promise.all(
      call.paths.map(async (path, index): Promise<TRPCResponse> => {
        let input: unknown;
        try {
          const data: unknown = await callTRPCProcedure({
            router: appRouter,
            path,
            type: call.type,
            ctx,
            signal: undefined,
            batchIndex: index,
            getRawInput: async () => (input = pick(await inputs, call.batched, index)),
          });
          return { result: { data } };
        } catch (cause) {
          const error = answerFor(cause);
          errors.push(error);
          this.onError({ error, path });
          return { error: getErrorShape({ config, ctx, error, input, path, type: call.type }) };
        }
      }),
    );
    const body = JSON.stringify(call.batched ? answers : answers[0]);
    res.writeHead(getHTTPStatusCode(answers), {
      "content-type": "application/json",
      vary: "trpc-accept, accept",
      ...retryAfterHeaders(errors),
    });
    res.end(body);
  }
}

interface Recognised {
  paths: string[];
  batched: boolean;
  type: "query" | "mutation";
  search: URLSearchParams;
}

/**
 * The call's inputs, read once for the whole batch: the `?input=` of a query
 * or the JSON body of a mutation (an empty body is not JSON, as fetch's
 * `json()` says). As in tRPC's handler, a failure to read them is each call's
 * failure: a body over the limit is PAYLOAD_TOO_LARGE, anything else BAD_REQUEST.
 */
async function readInputs(req: IncomingMessage, call: Recognised, maxBodyBytes: number): Promise<unknown> {
  return call.type === "mutation" ? parseJsonInput(await readBody(req, maxBodyBytes)) : queryInput(call.search);
}

function pick(inputs: unknown, batched: boolean, index: number): unknown {
  if (!batched || inputs === undefined) return inputs;
  if (!isRecord(inputs)) throw new TRPCError({ code: "BAD_REQUEST", message: '"input" needs to be an object when doing a batch call' });
  return Object.hasOwn(inputs, index) ? inputs[String(index)] : undefined;
}

function procedureType(value: unknown): string | undefined {
  if (typeof value !== "function" || !("_def" in value) || !isRecord(value._def)) return undefined;
  return typeof value._def.type === "string" ? value._def.type : undefined;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // As tRPC's handler does: stop reading, answer 413 (Node discards the rest of the body).
      cleanup();
      reject(new TRPCError({ code: "PAYLOAD_TOO_LARGE" }));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size).toString("utf8"));
    };
    const onError = (error: Error) => {
      // The client went away mid-body: the call fails as a bad request, as in tRPC's handler.
      cleanup();
      reject(new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error }));
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
