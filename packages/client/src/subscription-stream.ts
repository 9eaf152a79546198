/** The callbacks of a tRPC subscription that a stream listens to. */
export interface StreamObserver<T> {
  onData(value: T): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/**
 * A tRPC subscription as an async iterator: subscribes on the first `next()`,
 * buffers what arrives between two reads, ends when the subscription
 * completes, throws its error, and unsubscribes when the loop ends early
 * (`break`, `return`, a throw) or `signal` aborts.
 */
export async function* subscriptionStream<T>(
  subscribe: (observer: StreamObserver<T>) => { unsubscribe(): void },
  signal?: AbortSignal,
): AsyncGenerator<T, void, undefined> {
  let buffer: T[] = [];
  let read = 0;
  let completed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const onAbort = () => notify();
  signal?.addEventListener("abort", onAbort, { once: true });
  const subscription = subscribe({
    onData: (value) => {
      buffer.push(value);
      notify();
    },
    onError: (error) => {
      failure = { error };
      notify();
    },
    onComplete: () => {
      completed = true;
      notify();
    },
  });
  try {
    for (;;) {
      signal?.throwIfAborted();
      if (read < buffer.length) {
        const value = buffer[read++] as T;
        if (read === buffer.length) {
          buffer = [];
          read = 0;
        }
        yield value;
        continue;
      }
      if (failure) throw failure.error;
      if (completed) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    subscription.unsubscribe();
  }
}
