import { useEffect, useRef } from "react";

/**
 * `callback` called `delayMs` after the last call, with its arguments; a
 * pending call is dropped on unmount. Typing in a search box sends one
 * request when the person pauses, not one per key.
 */
export function useDebouncedCallback<A extends unknown[]>(callback: (...args: A) => void, delayMs: number): (...args: A) => void {
  const latest = useRef(callback);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    latest.current = callback;
  });
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  const debounced = useRef((...args: A) => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current(...args);
    }, delayMs);
  });
  return debounced.current;
}
