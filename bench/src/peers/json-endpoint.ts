import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The smallest HTTP JSON endpoint a team would put in front of a queue
 * library: POST a `{ type, input }` body, get `{ id }` back. No
 * authentication, no validation, no limits: the peers' best case.
 */
export async function serveJsonSubmits(port: number, add: (type: string, input: unknown) => Promise<string>): Promise<{ url: string }> {
  const server = createServer((request, response) => {
    readBody(request)
      .then(async (text) => {
        const body: unknown = JSON.parse(text);
        if (typeof body !== "object" || body === null || !("type" in body) || typeof body.type !== "string") throw new Error("type is required");
        const id = await add(body.type, "input" in body ? body.input : null);
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id }));
      })
      .catch((error: unknown) => {
        response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
      });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${bound}/submit` };
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}
