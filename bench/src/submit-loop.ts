/**
 * The one client loop every HTTP submit figure is measured with: the
 * `clients` run concurrently, each awaiting one request at a time, until `count`
 * requests are answered. Conveyor's jobs.submit and the peers' endpoints get
 * the same loop, so their figures compare.
 */
export async function submitLoop<Client>(count: number, clients: readonly Client[], send: (client: Client, n: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < count) {
        const n = next++;
        await send(client, n);
      }
    }),
  );
  return count / ((performance.now() - startedAt) / 1000);
}

/** The payload every submit carries: a webhook delivery, as the enqueue scenario has always sent. */
export function webhookInput(n: number) {
  return { url: "http://127.0.0.1:9/hook", payload: { n } };
}

/**
 * POST one JSON submit to a peer endpoint. Node's fetch keeps connections
 * alive (one per concurrent client), as the tRPC client's does.
 */
export async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
