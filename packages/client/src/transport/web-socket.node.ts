/**
 * Node's WebSocket: the global one from Node 22, else undici's (the same
 * implementation, which Node 20 does not expose). Imported only when a
 * client first subscribes over WebSocket, so SSE users never load undici.
 */
export async function loadWebSocket(): Promise<typeof WebSocket | undefined> {
  if (globalThis.WebSocket) return globalThis.WebSocket;
  const undici = await import("undici");
  return undici.WebSocket as unknown as typeof WebSocket;
}
