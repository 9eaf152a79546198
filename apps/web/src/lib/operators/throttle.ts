export interface Throttled {
  (): void;
  /** Drop a pending call (on unmount). */
  cancel(): void;
}

/**
 * Call `fn` at most once per `intervalMs`: the first call runs at once, calls
 * during the pause are merged into one that runs when it ends, so the last
 * change is never left unseen.
 */
export function throttle(fn: () => void, intervalMs: number): Throttled {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending = false;
  const pause = () => {
    timer = setTimeout(() => {
      timer = null;
      if (pending) {
        pending = false;
        fn();
        pause();
      }
    }, intervalMs);
  };
  const throttled = () => {
    if (timer) {
      pending = true;
      return;
    }
    fn();
    pause();
  };
  throttled.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    pending = false;
  };
  return throttled;
}
