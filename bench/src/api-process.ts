import { freePort } from "@conveyor/db/free-port";
import { apiRoot, startChild, type ChildHandle } from "./processes";

export interface ApiProcess extends ChildHandle {
  /** The tRPC endpoint, e.g. http://127.0.0.1:40123/trpc */
  trpcUrl: string;
}

/**
 * The API as it runs in production: its own process, its built entry
 * (`apps/api/dist/main.js`, built by `pnpm bench` first) on plain node, with
 * its defaults (auth, validation and limits on). Every scenario that measures the API starts it here, so there is one place that says how.
 */
export async function startApiProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  const port = await freePort();
  const child = await startChild("dist/main.js", { DATABASE_URL: databaseUrl, PORT: String(port), ...env }, "api listening", apiRoot);
  return { ...child, trpcUrl: `http://127.0.0.1:${port}/trpc` };
}
