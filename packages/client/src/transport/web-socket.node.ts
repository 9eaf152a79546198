/**
 * Node's WebSocket: the global one from Node 22, else undici's (the same
 * implementation, which Node 20 does not expose). Imported only when a
 * client first subscribes over WebSocket, so SSE users never load undici.
 */
export async function loadWebSocket(): Promise<typeof WebSocket | undefined> {
  if (globalThis.WebSocket) return globalThis.WebSocket;
  const undici = await import("undici");
  // undici's class is the one Node 22 exposes as the global WebSocket, but its declared event types
  // do not unify with the DOM's (MessageEvent.ports differs), so it is checked, not cast.
  const candidate: unknown = undici.WebSocket;
  return isWebSocketClass(candidate) ? candidate : undefined;
}

/** A constructor whose instances send and close, with the ready-state constants: what tRPC's wsLink uses. */
function isWebSocketClass(value: unknown): value is typeof WebSocket {
  if (typeof value !== "function" || !("OPEN" in value) || value.OPEN !== 1) return false;
  const prototype: unknown = value.prototype;
  return typeof prototype === "object" && prototype !== null && "send" in prototype && "close" in prototype;
}
