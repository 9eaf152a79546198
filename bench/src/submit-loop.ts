import { Agent, request as httpRequest } from "node:http";

/**
 * The one client loop every HTTP submit figure is measured with: the
 * `clients` run concurrently, each awaiting one request at a time, until `count`
 * requests are answered, after a warm-up of a fifth as many (at most 500).
 * Conveyor's jobs.submit and the peers' endpoints get the same loop, so
 * their figures compare.
 */
export async function submitLoop<Client>(count: number, clients: readonly Client[], send: (client: Client, n: number) => Promise<unknown>): Promise<number> {
  // Unmeasured first: connections opened, statements prepared, code compiled, for every server alike.
  await clientLoop(Math.min(500, Math.ceil(count / 5)), clients, send);
  const startedAt = performance.now();
  await clientLoop(count, clients, send);
  return count / ((performance.now() - startedAt) / 1000);
}

/** The loop itself, unmeasured and without the warm-up: for counting what `count` requests cost. */
export async function clientLoop<Client>(count: number, clients: readonly Client[], send: (client: Client, n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < count) {
        const n = next++;
        await send(client, n);
      }
    }),
  );
}

/** The payload every submit carries: a webhook delivery, as the enqueue scenario has always sent. */
export function webhookInput(n: number) {
  return { url: "http://127.0.0.1:9/hook", payload: { n } };
}

/**
 * One kept-alive connection per concurrent request, reused for the next, as a service's HTTP client
 * keeps them. An idle one is closed after 4 s, before the servers' 5 s keep-alive timeout (which they
 * announce in `Keep-Alive: timeout=5`, and fetch honours; node:http's agent does not): reusing a
 * socket the server is closing that moment fails the request with "socket hang up" (the soak met
 * one in 110,000 submits, after the clients had waited idle for the capacity runs to complete).
 */
const keepAlive = new Agent({ keepAlive: true, timeout: 4_000 });

/**
 * POST one JSON submit: to a peer's endpoint, or to Conveyor's
 * `/trpc/jobs.submit` (tRPC's wire protocol for a mutation is this same
 * request, with the token in `headers`). Through node:http rather than
 * fetch: the load generator shares this machine's two cores with the
 * servers it measures, and fetch costs it about twice the CPU per request
 * (measured at 200 requests/s: 1.9 ms against 0.9 ms), which the servers'
 * figures would pay for.
 */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: "POST", agent: keepAlive, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers } },
      (response) => {
        let answer = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (answer += chunk));
        response.on("error", reject);
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(new Error(`${url} answered ${status}: ${answer}`));
          else {
            try {
              resolve(JSON.parse(answer));
            } catch (error) {
              reject(new Error(`${url} answered invalid JSON: ${String(error)}`));
            }
          }
        });
      },
    );
    request.on("error", reject);
    request.end(text);
  });
}
