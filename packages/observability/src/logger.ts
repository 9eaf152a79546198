/**
 * Structured logs: pino, one JSON object per line, with the time in ISO 8601.
 * `pnpm dev` asks for human-readable lines (CONVEYOR_LOG_FORMAT=pretty).
 * Callers put run id, job type, attempt and owner in the line's fields; never
 * a payload.
 */
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  /** "api" or "worker": every line says which process wrote it. */
  service: string;
  /** Where lines go (default: stdout). Tests pass a stream that keeps them. */
  destination?: DestinationStream;
  /** Only warnings and errors (default: info and above). */
  quiet?: boolean;
  /** Human-readable lines (pino-pretty) instead of JSON (default: CONVEYOR_LOG_FORMAT === "pretty"). */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    base: { service: options.service },
    // "message", as in every other log line Conveyor writes and in the tests that read them.
    messageKey: "message",
    level: options.quiet ? "warn" : (process.env.CONVEYOR_LOG_LEVEL ?? "info"),
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than pino's numbers: readable by people and by log pipelines alike.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.destination) return pino(settings, options.destination);
  if (options.pretty ?? process.env.CONVEYOR_LOG_FORMAT === "pretty") {
    return pino({ ...settings, transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname", messageKey: "message" } } });
  }
  // Asynchronous: lines written while a write is out go out together in the next one, so a busy
  // process makes one system call per batch of lines, not per line; pino flushes what is left on exit.
  return pino(settings, pino.destination({ dest: 1, sync: false }));
}

/** A destination that hands each line to a function (tests, and callers with their own sink). */
export function lineDestination(write: (line: string) => void): DestinationStream {
  return { write: (chunk: string) => write(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) };
}
