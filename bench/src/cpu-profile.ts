import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

/**
 * A CPU profile of this process, written as `<dir>/<name>-<pid>.cpuprofile`
 * when stopped; nothing when `dir` is unset. For the bench's own client
 * processes, which run through tsx (node refuses --cpu-prof in NODE_OPTIONS).
 */
export function startProfile(dir: string | undefined, name: string): { stop(): Promise<void> } {
  if (!dir) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  session.post("Profiler.enable", () => session.post("Profiler.start"));
  return {
    stop: () =>
      new Promise((resolve) =>
        session.post("Profiler.stop", (error, result) => {
          if (!error) writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
          session.disconnect();
          resolve();
        }),
      ),
  };
}
