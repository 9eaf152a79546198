/**
 * OpenTelemetry tracing, off unless the standard OTEL_* variables ask for
 * it. Code everywhere uses `conveyorTracer()`, which is a no-op until a
 * provider is registered, so tracing costs nothing when it is off.
 *
 * A run carries the W3C `traceparent` of the span that submitted it, so the
 * worker's span of each attempt joins the submitter's trace, across processes.
 */
import { context, propagation, ProxyTracerProvider, trace, type Context, type Span } from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * Conveyor's tracer, looked up at each use: a tracer taken before a provider
 * is registered can stay a no-op for good when the registering code holds
 * another copy of @opentelemetry/api (as under a test runner).
 */
export function conveyorTracer() {
  return trace.getTracer("conveyor");
}

/** What the API's proxy delegates to while no provider is registered (the no-op provider). */
const unregistered = new ProxyTracerProvider().getDelegate();

/**
 * Whether a tracer provider is registered in this process (by `startTracing` or by the application's
 * own OpenTelemetry setup). The worker skips its per-attempt span when none is: even a no-op span
 * makes a context and its map for every run. A provider registered through another copy of the API
 * is not this module's class, so it counts as registered.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== unregistered;
}

/** Whether the environment asks for traces: an OTLP endpoint, or an exporter other than "none". */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined) return exporter !== "none";
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Register a tracer provider for this process. With no `processors`, spans
 * go to OTLP over HTTP as the OTEL_EXPORTER_OTLP_* variables say; tests pass
 * their own (an in-memory exporter). Returns the function that flushes and stops it.
 *
 * The SDK is imported here, not at the top: a process that traces nothing
 * never loads it (about 6 MB of RSS in the worker and the API).
 */
export async function startTracing(serviceName: string, processors?: SpanProcessor[]): Promise<() => Promise<void>> {
  const [{ W3CTraceContextPropagator }, { OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor }, { NodeTracerProvider }] = await Promise.all([
    import("@opentelemetry/core"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/sdk-trace-node"),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": process.env.OTEL_SERVICE_NAME ?? serviceName }),
    spanProcessors: processors ?? [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  return () => provider.shutdown();
}

/** Start tracing when the environment asks for it; otherwise nothing (and a no-op to stop). */
export async function startTracingFromEnv(serviceName: string): Promise<() => Promise<void>> {
  return tracingRequested() ? startTracing(serviceName) : async () => {};
}

/** The active span's context as a W3C `traceparent`, to store with a run; null when nothing is traced. */
export function currentTraceParent(active: Context = context.active()): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored `traceparent` stands for (the root context when there is none). */
export function contextFromTraceParent(traceParent: string | null): Context {
  if (!traceParent) return context.active();
  return propagation.extract(context.active(), { traceparent: traceParent });
}

/** Mark a span failed with the error's message (never a payload). */
export function recordFailure(span: Span, message: string): void {
  span.setStatus({ code: 2, message });
}
