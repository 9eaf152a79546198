/**
 * Node's WebSocket: the global one from Node 22, else undici's (the same
 * implementation, which Node 20 does not expose). Imported only when a
 * client first subscribes over WebSocket, so SSE users never load undici.
 */
export async function loadWebSocket(): Promise<typeof WebSocket | undefined> {
  if (globalThis.WebSocket) return globalThis.WebSocket;
  const undici = await import("undici");
  // The one cast left in the SDK, and deliberate: this is the same implementation Node 22 exposes as
  // the global WebSocket, but undici declares its own event types, which TypeScript will not unify
  // with the DOM's declaration of that very class (this-types of the on* handlers differ).
  return undici.WebSocket as unknown as typeof WebSocket;
}
