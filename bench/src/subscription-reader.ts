/** What the fan-out subscribers need of a subscription: the same callbacks as the tRPC client's. */
export interface SubscriptionCallbacks {
  onStarted(): void;
  onData(tracked: { id: string; data: unknown }): void;
  onComplete(): void;
  onError(error: Error): void;
}

/**
 * How a subscription read off its socket ends, once: `end` closes the connection and tells the
 * callbacks (an error, or the stream's own end); `unsubscribe` closes it and tells them nothing.
 * Whatever arrives after either is to be ignored (`ended`).
 */
export function endingOnce(callbacks: SubscriptionCallbacks, close: () => void): { readonly ended: boolean; end(error?: Error): void; unsubscribe(): void } {
  let ended = false;
  return {
    get ended() {
      return ended;
    },
    end(error?: Error) {
      if (ended) return;
      ended = true;
      close();
      if (error) callbacks.onError(error);
      else callbacks.onComplete();
    },
    unsubscribe() {
      ended = true;
      close();
    },
  };
}
