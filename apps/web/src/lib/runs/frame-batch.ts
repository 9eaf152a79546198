/**
 * Collects items and hands them to `flush` together, at most once per
 * animation frame: a burst of events costs one cache update and one render.
 * A hidden tab gets no frames, so a timer stands in, keeping the cache
 * current for when the tab shows again.
 */
export function createFrameBatch<T>(flush: (items: T[]) => void, fallbackMs = 250) {
  let items: T[] = [];
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function cancel(): void {
    if (frame !== null) cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = null;
    timer = null;
  }

  function run(): void {
    cancel();
    const taken = items;
    items = [];
    if (taken.length > 0) flush(taken);
  }

  return {
    push(item: T): void {
      items.push(item);
      if (frame !== null || timer !== null) return;
      frame = requestAnimationFrame(run);
      timer = setTimeout(run, fallbackMs);
    },
    /** Drop what is waiting and stop the timers (on unmount). */
    dispose(): void {
      cancel();
      items = [];
    },
  };
}
