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
 * POST one JSON submit: to a peer's endpoint, or to Conveyor's
 * `/trpc/jobs.submit` (tRPC's wire protocol for a mutation is this same
 * request, with the token in `headers`). Node's fetch keeps connections
 * alive (one per concurrent client), as the tRPC client's does.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
