import WebSocket from "ws";
import { endingOnce, type SubscriptionCallbacks } from "./subscription-reader";

/**
 * `jobs.events` over WebSocket read straight off the socket, in tRPC's
 * WebSocket protocol as `wsLink` speaks it: the URL says `connectionParams=1`
 * and the first message carries the token; then one `subscription` request,
 * answered `started`, `data` (with the event's tracked `id`) and `stopped`
 * results, or an `error`; "PING" is answered "PONG". Each data message is
 * checked: its tracked envelope's `id` must be the result's `id`. One socket per
 * subscription, as 1,000 browsers would have.
 *
 * Why not the real client here: with 1,000 sockets in one process, tRPC's
 * wsLink over undici's WebSocket cost this process 2.8 times the CPU of the
 * lean SSE reader for the same messages (5.1 s against 1.8 s busy in one
 * fan-out run), and each 100 ms burst of 1,000 frames queued behind it, so
 * the client's own queueing was part of the measured tail (BENCHMARKS.md,
 * seventh pass). The server's side, what the bench measures, is the same
 * bytes either way; `BENCH_CLIENT=trpc` runs the real client instead.
 */
export function subscribeOverWebSocket(url: string, token: string, input: unknown, callbacks: SubscriptionCallbacks): { unsubscribe(): void } {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}?connectionParams=1`);
  const requestId = 1;
  const ending = endingOnce(callbacks, () => socket.terminate());
  const end = (error?: Error) => ending.end(error);
  socket.on("open", () => {
    socket.send(JSON.stringify({ method: "connectionParams", data: { token } }));
    socket.send(JSON.stringify({ id: requestId, method: "subscription", params: { path: "jobs.events", input } }));
  });
  socket.on("message", (raw: WebSocket.RawData, isBinary: boolean) => {
    if (ending.ended) return;
    const text = isBinary ? "" : raw.toString();
    if (text === "PING") return socket.send("PONG");
    if (text === "PONG") return;
    onMessage(text);
  });
  socket.on("close", () => end(new Error("the socket closed without a stopped result")));
  socket.on("error", (error) => end(error));

  function onMessage(text: string): void {
    const message: unknown = JSON.parse(text);
    if (typeof message !== "object" || message === null || !("id" in message) || message.id !== requestId) {
      return end(new Error(`a message for no request of this socket: ${text}`));
    }
    if ("error" in message) return end(new Error(`jobs.events failed: ${JSON.stringify(message.error)}`));
    const result = "result" in message && typeof message.result === "object" && message.result !== null ? message.result : null;
    const type = result && "type" in result ? result.type : undefined;
    if (type === "started") return callbacks.onStarted();
    if (type === "stopped") return end();
    // A tracked event travels as { id, data } in the result's data, its id also the result's.
    const id = result && "id" in result && typeof result.id === "string" ? result.id : null;
    const envelope = result && "data" in result ? result.data : undefined;
    if (type !== "data" || id === null || typeof envelope !== "object" || envelope === null || !("id" in envelope) || envelope.id !== id || !("data" in envelope)) {
      return end(new Error(`a data message without its tracked id: ${text}`));
    }
    callbacks.onData({ id, data: envelope.data });
  }

  return { unsubscribe: () => ending.unsubscribe() };
}
