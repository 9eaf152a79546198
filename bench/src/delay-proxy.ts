import { connect, createServer, type Socket } from "node:net";

export interface DelayProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy that holds every chunk `delayMs` before passing it on, in each
 * direction, to stand in for a network (this machine has no netem). Order is
 * kept: Node fires timers of one duration in the order they were set.
 * setTimeout's granularity makes the added delay at least `delayMs` and
 * usually up to a millisecond more. A slow reader pauses its writer, as TCP would.
 */
export async function startDelayProxy(target: { host: string; port: number }, delayMs: number, listenPort = 0): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    forward(client, upstream, delayMs);
    forward(upstream, client, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no address");
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function forward(from: Socket, to: Socket, delayMs: number): void {
  let inFlight = 0;
  let ended = false;
  from.on("data", (chunk) => {
    inFlight++;
    setTimeout(() => {
      inFlight--;
      if (to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => from.resume());
      }
      if (ended && inFlight === 0) to.end();
    }, delayMs);
  });
  // An end travels behind the data before it, with the same delay.
  from.on("end", () => {
    ended = true;
    if (inFlight === 0) setTimeout(() => to.end(), delayMs);
  });
  from.on("close", () => setTimeout(() => to.destroy(), delayMs + 1));
}
