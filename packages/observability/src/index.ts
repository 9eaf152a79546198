export * from "./tracing";
export * from "./logger";
export * from "./ops-http";
export * from "./node-flags";
