/**
 * When each job's handler started, kept by a peer's worker process and
 * served to the bench: POST `{ ids }` to `/started` and the answer (`{ id:
 * startedAt }`, times from `nowMs`) comes once every one of those jobs has
 * started, or 504 after 30 s. The bench waits on it, as it waits on
 * Conveyor's `started` events, instead of polling.
 */
import { createServer } from "node:http";
import { nowMs } from "../catalog";
import { listenOnLoopback, readBody } from "./json-endpoint";

const answerWithinMs = 30_000;

export interface StartLog {
  /** Note that job `id`'s handler starts now. */
  note(id: string): void;
  /** Serve `/started` on `port` (0: a free port); resolves with its URL. */
  serve(port: number): Promise<string>;
}

export function startLog(): StartLog {
  const startedAt = new Map<string, number>();
  const waiters = new Set<() => void>();
  return {
    note(id) {
      if (!startedAt.has(id)) startedAt.set(id, nowMs());
      for (const wake of waiters) wake();
    },
    async serve(port) {
      const server = createServer((request, response) => {
        readBody(request)
          .then(async (text) => {
            const ids = parseIds(text);
            const allStarted = () => ids.every((id) => startedAt.has(id));
            if (!allStarted()) {
              await new Promise<void>((resolve, reject) => {
                const wake = () => allStarted() && done();
                const timer = setTimeout(() => (waiters.delete(wake), reject(new Error("not all started within 30 s"))), answerWithinMs);
                const done = () => (clearTimeout(timer), waiters.delete(wake), resolve());
                waiters.add(wake);
              });
            }
            response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(Object.fromEntries(ids.map((id) => [id, startedAt.get(id)]))));
          })
          .catch((error: unknown) => response.writeHead(504, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) })));
      });
      return `${await listenOnLoopback(server, port)}/started`;
    },
  };
}

function parseIds(text: string): string[] {
  const body: unknown = JSON.parse(text);
  if (typeof body !== "object" || body === null || !("ids" in body) || !Array.isArray(body.ids)) throw new Error("ids is required");
  return body.ids.map(String);
}
