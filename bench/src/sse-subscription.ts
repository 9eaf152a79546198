import { request } from "node:http";
import { endingOnce, type SubscriptionCallbacks } from "./subscription-reader";

/**
 * `jobs.events` over SSE read straight off the socket, as tRPC's
 * `httpSubscriptionLink` reads it (`?input=` JSON, the token in the
 * Authorization header; frames `connected`, `data` + `id`, `ping`,
 * `return`, `serialized-error`), each message checked: a data frame must
 * carry JSON whose `id` is the frame's `id`.
 *
 * Why not the real client here: with 1,000 streams in one process,
 * EventSource over undici's fetch (web streams) plus tRPC's observable chain
 * cost this process about 150-190 µs of CPU per message, so at 10,000
 * messages/s it saturated a core and its own queueing was most of the
 * measured latency (profile in BENCHMARKS.md). The server's side, what the
 * bench measures, is the same bytes either way; `BENCH_CLIENT=trpc` runs the
 * real client instead.
 */
export function subscribeOverSse(url: string, token: string, input: unknown, callbacks: SubscriptionCallbacks): { unsubscribe(): void } {
  const target = new URL(`${url}/jobs.events`);
  target.searchParams.set("input", JSON.stringify(input));
  const ending = endingOnce(callbacks, () => req.destroy());
  const end = (error?: Error) => ending.end(error);
  const req = request(target, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" } }, (res) => {
    if (res.statusCode !== 200 || !res.headers["content-type"]?.startsWith("text/event-stream")) {
      end(new Error(`jobs.events answered ${res.statusCode} ${res.headers["content-type"]}`));
      return;
    }
    res.setEncoding("utf8");
    let pending = "";
    res.on("data", (chunk: string) => {
      pending += chunk;
      for (let at = pending.indexOf("\n\n"); at >= 0 && !ending.ended; at = pending.indexOf("\n\n")) {
        const frame = pending.slice(0, at);
        pending = pending.slice(at + 2);
        onFrame(frame);
      }
    });
    res.on("end", () => end(new Error("the stream ended without a return frame")));
    res.on("error", (error) => end(error));
  });
  req.on("error", (error) => end(error));
  req.end();

  function onFrame(frame: string): void {
    let event = "message";
    let data = "";
    let id: string | null = null;
    for (const line of frame.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data = line.slice(6);
      else if (line.startsWith("id: ")) id = line.slice(4);
    }
    if (event === "connected") return callbacks.onStarted();
    if (event === "ping") return;
    if (event === "return") return end();
    if (event === "serialized-error") return end(new Error(`jobs.events failed: ${data}`));
    const message: unknown = JSON.parse(data);
    if (id === null || typeof message !== "object" || message === null || !("id" in message) || message.id !== id) {
      return end(new Error(`a data frame without its tracked id: ${frame}`));
    }
    callbacks.onData({ id, data: message });
  }

  return { unsubscribe: () => ending.unsubscribe() };
}
