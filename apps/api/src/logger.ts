/** One structured log line: a message and fields, never a payload (inputs may hold secrets). */
export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  [field: string]: unknown;
}

export type Log = (line: LogLine) => void;

/** For embedding the server in tests and tools that want quiet. */
export const silent: Log = () => {};
