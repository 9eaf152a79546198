/**
 * A delaying TCP proxy in its own process (bench/src/delay-proxy.ts), so its
 * work never waits behind the bench's own clients: PROXY_PORT → TARGET_HOST:TARGET_PORT,
 * DELAY_MS each way.
 */
import { startDelayProxy } from "./delay-proxy";

const proxy = await startDelayProxy(
  { host: process.env.TARGET_HOST ?? "127.0.0.1", port: Number(process.env.TARGET_PORT) },
  Number(process.env.DELAY_MS ?? 1),
  Number(process.env.PROXY_PORT ?? 0),
);
process.stdout.write(`proxy listening ${proxy.port}\n`);
process.once("SIGTERM", () => void proxy.close().then(() => process.exit(0)));
