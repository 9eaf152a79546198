/**
 * The platform's WebSocket (browsers, Deno, Bun, Node 22+). Browsers load
 * this file; Node loads `web-socket.node.ts` (package.json `imports`).
 */
export async function loadWebSocket(): Promise<typeof WebSocket | undefined> {
  return globalThis.WebSocket;
}
